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
    /// <para>Prefetch is bounded by count and bytes: <c>queued.min.messages</c> 10,000 and
    /// <c>queued.max.messages.kbytes</c> 8,192 (librdkafka: 100,000 and 64 MiB). The consumer's own
    /// buffer (<c>MaxBufferedMessages</c>, 10,000 by default) already holds the look-ahead the engine
    /// needs, so a deeper librdkafka queue only costs memory. Each queued message costs about 500 B of
    /// native memory besides its payload, so small messages weigh far more than their bytes.</para>
    /// <para><c>fetch.max.bytes</c> 512 KiB (librdkafka: 50 MiB): the most one Fetch response may carry
    /// across partitions. librdkafka turns a whole response into queued messages at once, whatever
    /// the queue thresholds, and keeps one fetch in flight per broker; with the default a broker
    /// leading many partitions returns up to 1 MiB per partition in one response (a 100,000-message
    /// burst of ~50 MB native memory for 100 B messages). A record batch is never split, so a
    /// response still carries at least one whole batch, and larger messages are still consumed.
    /// 512 KiB per broker allows about 50 MB/s per broker at a 10 ms round trip. librdkafka refuses
    /// a <c>fetch.max.bytes</c> below <c>message.max.bytes</c>, so that is 512 KiB too (for a consumer
    /// it bounds only the requests it sends); set either and the other follows when left unset.</para>
    /// <para>Draining a 200k and an 800k backlog of 1 MB record batches (no-op handler), these settings lowered the
    /// process's peak from 137-140 / 160-169 MB (50,000 messages, 50 MiB) to 102-111 / 115-131 MB
    /// with a 1 MiB fetch and 98-105 / 105-112 MB with 512 KiB, with the same throughput.</para>
    /// <para><c>fetch.queue.backoff.ms</c> 10 (librdkafka: 1,000): once the queue thresholds are
    /// reached a partition's fetcher backs off this long before checking again; the default stalls
    /// each partition for a second (a plain loop with a 20,000-message threshold ran at 115k msg/s
    /// with the default and 205-274k with 10 ms). It only re-checks a local queue, so it costs almost
    /// nothing. <c>fetch.wait.max.ms</c> 100 (librdkafka: 500): a partition resumed after a pause
    /// waits at most this long behind a broker's long poll; an idle consumer sends about 10 fetch
    /// requests a second per broker instead of 2.</para>
    /// <para><c>dotnet.consumer.consume.result.fields</c> <c>headers,timestamp</c> (Confluent.Kafka: all):
    /// a consumer reads one topic, so the topic name is not decoded into a new string for every
    /// message (48 of the ~690 bytes allocated per 100 B message).</para>
    /// <para>Measured with these values (and backpressure that waits instead of pausing, see
    /// KafkaConsumerLoop.UpdateCapacity): no-op handler, 1,000,000 x 100 B messages, 3.9x a plain
    /// Confluent.Kafka loop (863k against 219k msg/s, medians of 3); 5 ms handlers over 10,000 keys at
    /// Concurrency 256, 243x the sequential plain loop.</para>
    /// </summary>
    public static IReadOnlyDictionary<string, string> Settings { get; } = new Dictionary<string, string>(StringComparer.Ordinal)
    {
        ["auto.offset.reset"] = "earliest",
        ["queued.min.messages"] = "10000",
        ["queued.max.messages.kbytes"] = "8192",
        ["fetch.max.bytes"] = "524288",
        ["message.max.bytes"] = "524288",
        ["fetch.queue.backoff.ms"] = "10",
        ["fetch.wait.max.ms"] = "100",
        ["auto.commit.interval.ms"] = "1000",
        ["enable.partition.eof"] = "false",
        ["dotnet.consumer.consume.result.fields"] = "headers,timestamp",
    };

    /// <summary>The assignment strategy used with the classic group protocol.</summary>
    public const string AssignmentStrategy = "cooperative-sticky";
}
