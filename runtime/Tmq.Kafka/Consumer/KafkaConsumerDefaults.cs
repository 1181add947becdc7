namespace Tmq.Kafka;

/// <summary>The librdkafka settings a Tmq Kafka consumer starts from, and why. Any of them can be overridden under <c>Kafka</c>.</summary>
public static class KafkaConsumerDefaults
{
    /// <summary>
    /// The settings applied before the user's. <c>partition.assignment.strategy</c> is
    /// cooperative-sticky (unless <c>group.protocol</c> is <c>consumer</c>, KIP-848, where the
    /// broker assigns): a rebalance revokes only the partitions that move, so the rest keep flowing.
    /// <c>auto.offset.reset</c> is earliest: a new group reads the backlog rather than silently
    /// skipping it. <c>queued.min.messages</c> 200,000 (librdkafka: 100,000) keeps the prefetch queue
    /// deep enough that the fetcher, not the round trip, sets the pace; it is bounded in bytes by
    /// <c>queued.max.messages.kbytes</c> 65,536 (64 MiB, librdkafka's default).
    /// <c>auto.commit.interval.ms</c> is 1,000 (librdkafka: 5,000): at most a second of finished work
    /// is redelivered after a crash.
    /// </summary>
    public static IReadOnlyDictionary<string, string> Settings { get; } = new Dictionary<string, string>(StringComparer.Ordinal)
    {
        ["auto.offset.reset"] = "earliest",
        ["queued.min.messages"] = "200000",
        ["queued.max.messages.kbytes"] = "65536",
        ["auto.commit.interval.ms"] = "1000",
        ["enable.partition.eof"] = "false",
    };

    /// <summary>The assignment strategy used with the classic group protocol.</summary>
    public const string AssignmentStrategy = "cooperative-sticky";
}
