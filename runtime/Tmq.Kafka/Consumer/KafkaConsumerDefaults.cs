namespace Tmq.Kafka;

/// <summary>The librdkafka settings a Tmq Kafka consumer starts from, and why. Any of them can be overridden under <c>Kafka</c>.</summary>
public static class KafkaConsumerDefaults
{
    /// <summary>
    /// The settings applied before the user's, measured with <c>tests/Tmq.Benchmarks</c>
    /// (kafka-overhead, kafka-keyed, kafka-memory) against a 3-broker mock cluster on 2 cores.
    /// <para><c>partition.assignment.strategy</c> is cooperative-sticky (unless <c>group.protocol</c>
    /// is <c>consumer</c>, KIP-848, where the broker assigns): a rebalance revokes only the partitions
    /// that move, so the rest keep flowing. <c>auto.offset.reset</c> is earliest: a new group reads
    /// the backlog rather than silently skipping it. <c>auto.commit.interval.ms</c> is 1,000
    /// (librdkafka: 5,000): at most a second of finished work is redelivered after a crash.</para>
    /// <para>Prefetch is bounded by count and bytes: <c>queued.min.messages</c> 50,000 and
    /// <c>queued.max.messages.kbytes</c> 8,192 (librdkafka: 100,000 and 64 MiB). The consumer's own
    /// buffer (<c>MaxBufferedMessages</c>) already holds the look-ahead the engine needs, so a deep
    /// librdkafka queue only costs memory: with 64 MiB a 200k-message backlog peaked at 171 MB and
    /// an 800k one at 266 MB; with 8 MiB, 146 and 173 MB. 8 MiB still allows about 800 MB/s per broker
    /// at a 10 ms round trip.</para>
    /// <para><c>fetch.queue.backoff.ms</c> 10 (librdkafka: 1,000): once the queue thresholds are
    /// reached a partition's fetcher backs off this long before checking again; the default stalls
    /// each partition for a second (a plain loop with a 20,000-message threshold ran at 115k msg/s
    /// with the default and 205-274k with 10 ms). It only re-checks a local queue, so it costs almost
    /// nothing. <c>fetch.wait.max.ms</c> 100 (librdkafka: 500): a partition resumed after a pause
    /// waits at most this long behind a broker's long poll; an idle consumer sends about 10 fetch
    /// requests a second per broker instead of 2.</para>
    /// <para>Measured with these values (and backpressure that waits instead of pausing, see
    /// KafkaConsumerLoop.UpdateCapacity): no-op handler, 1,000,000 x 100 B messages, 2.94x a plain
    /// Confluent.Kafka loop (644k against 219k msg/s, medians of 3); 5 ms handlers over 10,000 keys at
    /// Concurrency 256, 239x the sequential plain loop; draining a 200k and an 800k backlog peaked at
    /// 151 and 168 MB (medians). A 2 MiB / 10,000 prefetch lowers those peaks to 108 and 122 MB at the
    /// same throughput here, but would starve a consumer of large messages on a distant broker.</para>
    /// </summary>
    public static IReadOnlyDictionary<string, string> Settings { get; } = new Dictionary<string, string>(StringComparer.Ordinal)
    {
        ["auto.offset.reset"] = "earliest",
        ["queued.min.messages"] = "50000",
        ["queued.max.messages.kbytes"] = "8192",
        ["fetch.queue.backoff.ms"] = "10",
        ["fetch.wait.max.ms"] = "100",
        ["auto.commit.interval.ms"] = "1000",
        ["enable.partition.eof"] = "false",
    };

    /// <summary>The assignment strategy used with the classic group protocol.</summary>
    public const string AssignmentStrategy = "cooperative-sticky";
}
