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
}
