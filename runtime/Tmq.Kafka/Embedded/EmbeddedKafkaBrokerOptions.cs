using System.ComponentModel.DataAnnotations;

namespace Tmq.Kafka;

/// <summary>How an <see cref="EmbeddedKafkaBroker"/> is started.</summary>
public sealed class EmbeddedKafkaBrokerOptions
{
    /// <summary>
    /// Number of brokers, with ids 1 to <see cref="Brokers"/>, each on its own random loopback port.
    /// <value>Defaults to 1: enough for development and most tests; use 3 to test leader or broker failures.</value>
    /// </summary>
    [Range(1, 32)]
    public int Brokers { get; set; } = 1;

    /// <summary>
    /// How long a new, empty consumer group waits for more members before its first rebalance
    /// (the broker's <c>group.initial.rebalance.delay.ms</c>).
    /// <value>Defaults to zero so that a consumer gets its partitions at once; librdkafka's mock
    /// (like a real broker) otherwise waits 3 s.</value>
    /// </summary>
    public TimeSpan GroupInitialRebalanceDelay { get; set; } = TimeSpan.Zero;

    /// <summary>
    /// How long a KIP-848 consumer group (<c>group.protocol=consumer</c>) keeps a member that stopped
    /// heartbeating before it hands that member's partitions to the others (the broker's
    /// <c>group.consumer.session.timeout.ms</c>; such a client cannot set it itself).
    /// <value>Defaults to null: librdkafka's mock keeps its own default, as a real broker does. Tests
    /// that kill members give a few seconds, as they give classic consumers a short <c>session.timeout.ms</c>.</value>
    /// </summary>
    public TimeSpan? ConsumerGroupSessionTimeout { get; set; }

    /// <summary>
    /// How often a KIP-848 group's members heartbeat (the broker's <c>group.consumer.heartbeat.interval.ms</c>):
    /// a member learns of a new assignment, and gives up revoked partitions, on its next heartbeat.
    /// <value>Defaults to null: librdkafka's mock keeps its own default. Keep it well below <see cref="ConsumerGroupSessionTimeout"/>.</value>
    /// </summary>
    public TimeSpan? ConsumerGroupHeartbeatInterval { get; set; }
}
