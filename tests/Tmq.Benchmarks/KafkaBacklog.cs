using System.Diagnostics;
using System.Text.Json;
using Confluent.Kafka;

namespace Tmq.Benchmarks;

/// <summary>How the backlog's record batches were made: the shape a consumer's fetches inherit.</summary>
internal enum BatchShape
{
    /// <summary>Full 1 MB record batches, one partition after the other (the original kafka-overhead backlog).</summary>
    Full,

    /// <summary>
    /// A producer with librdkafka's defaults (linger.ms 5) sending keyed messages through the default
    /// partitioner, as a service that publishes as events happen (or kcat) writes them: each batch
    /// holds what reached its partition within a linger, tens to hundreds of messages depending on
    /// the partition count and how fast the producer ran (the backlog line prints the average).
    /// </summary>
    Default,
}

/// <summary>Writes a matrix cell's backlog: <c>messages</c> values of one size, in one <see cref="BatchShape"/>.</summary>
/// <remarks>
/// The mock cluster keeps only about 5 MiB per partition (see <see cref="EmbeddedKafkaBroker"/>), so a
/// backlog is capped by <see cref="MaxMessages"/> and checked after producing.
/// </remarks>
internal static class KafkaBacklog
{
    /// <summary>What a cell may write per partition, under the mock's ~5 MiB.</summary>
    private const long PartitionBudgetBytes = 4L * 1024 * 1024;

    public static string Name(BatchShape shape) => shape == BatchShape.Full ? "full" : "default";

    /// <summary>
    /// The most messages of <paramref name="valueSize"/> bytes that fit the mock's retention over
    /// <paramref name="partitions"/> partitions: per record its key and about 20 B of framing, and in
    /// the default shape up to a 61 B batch header per message (batches of one) and a tenth more for
    /// the partitioner's uneven spread of keys.
    /// </summary>
    public static int MaxMessages(int partitions, int valueSize, BatchShape shape)
    {
        var perMessage = shape == BatchShape.Full ? valueSize + 30 : (valueSize + 91) * 1.1;
        return (int)Math.Min(int.MaxValue, partitions * (long)(PartitionBudgetBytes / perMessage));
    }

    /// <summary>Creates <paramref name="topic"/>, writes the backlog and checks that the mock kept all of it.</summary>
    public static Produced ProduceChecked(KafkaBrokerHandle broker, string topic, int partitions, int messages, int valueSize, BatchShape shape, byte[][] keys)
    {
        broker.CreateTopic(topic, partitions);
        var produced = Produce(broker.BootstrapServers, topic, partitions, messages, valueSize, shape, keys);
        var retained = KafkaBench.Retained(broker.BootstrapServers, topic, partitions);
        if (retained != messages)
        {
            throw new InvalidOperationException(
                $"The broker retains {retained} of the {messages} messages produced to {topic}: the mock keeps about 5 MiB per partition; fewer messages or more partitions.");
        }

        return produced;
    }

    private static Produced Produce(string bootstrap, string topic, int partitions, int messages, int valueSize, BatchShape shape, byte[][] keys)
    {
        var config = new ProducerConfig { BootstrapServers = bootstrap, StatisticsIntervalMs = 100 };
        if (shape == BatchShape.Full)
        {
            // As KafkaBench.Produce: a second's linger lets each 1 MB batch fill up whatever the load.
            config.EnableIdempotence = false;
            config.Acks = Acks.Leader;
            config.LingerMs = 1000;
            config.BatchNumMessages = 10_000;
            config.BatchSize = 1_000_000;
            config.QueueBufferingMaxMessages = 2_000_000;
            config.QueueBufferingMaxKbytes = 1_048_576;
        }

        var value = new byte[valueSize];
        Random.Shared.NextBytes(value);
        var batches = new BatchCounter(topic);
        long failed = 0;
        string? firstError = null;
        Action<DeliveryReport<byte[], byte[]>> report = r =>
        {
            if (r.Error.IsError && Interlocked.Increment(ref failed) == 1)
            {
                firstError = r.Error.Reason;
            }
        };
        var watch = Stopwatch.StartNew();
        using (var producer = new ProducerBuilder<byte[], byte[]>(config)
            .SetLogHandler(static (_, _) => { })
            .SetStatisticsHandler((_, json) => batches.Add(json))
            .Build())
        {
            if (shape == BatchShape.Full)
            {
                // One partition after the other, key k always on partition k % partitions.
                for (var p = 0; p < partitions; p++)
                {
                    var keysHere = (keys.Length - p + partitions - 1) / partitions;
                    var count = (messages / partitions) + (p < messages % partitions ? 1 : 0);
                    for (var j = 0; j < count; j++)
                    {
                        Send(producer, new TopicPartition(topic, p), keys[p + (partitions * (j % keysHere))], value, report);
                    }
                }
            }
            else
            {
                // One message to each partition first, flushed: a producer still connecting queues
                // what it is given and sends it as one large batch per partition, so the start of
                // the backlog would look like the full shape.
                var primed = Math.Min(partitions, messages);
                for (var p = 0; p < primed; p++)
                {
                    Send(producer, new TopicPartition(topic, p), keys[p], value, report);
                }

                producer.Flush(TimeSpan.FromMinutes(1));
                for (var j = primed; j < messages; j++)
                {
                    Send(producer, topic, keys[j % keys.Length], value, report);
                }
            }

            producer.Flush(TimeSpan.FromMinutes(2));
            watch.Stop();

            // The batches of the last statistics window arrive with the next report.
            var seen = batches.Reports;
            var until = Stopwatch.GetTimestamp() + Stopwatch.Frequency;
            while (batches.Reports <= seen + 1 && Stopwatch.GetTimestamp() < until)
            {
                producer.Poll(TimeSpan.FromMilliseconds(50));
            }
        }

        if (failed > 0)
        {
            throw new InvalidOperationException($"{failed} of {messages} messages were not produced to {topic}: {firstError}");
        }

        return new Produced(messages, watch.Elapsed, batches.Batches);
    }

    private static void Send(IProducer<byte[], byte[]> producer, TopicPartition partition, byte[] key, byte[] value, Action<DeliveryReport<byte[], byte[]>> report) =>
        Retry(producer, () => producer.Produce(partition, new Message<byte[], byte[]> { Key = key, Value = value }, report));

    private static void Send(IProducer<byte[], byte[]> producer, string topic, byte[] key, byte[] value, Action<DeliveryReport<byte[], byte[]>> report) =>
        Retry(producer, () => producer.Produce(topic, new Message<byte[], byte[]> { Key = key, Value = value }, report));

    private static void Retry(IProducer<byte[], byte[]> producer, Action produce)
    {
        while (true)
        {
            try
            {
                produce();
                return;
            }
            catch (ProduceException<byte[], byte[]> ex) when (ex.Error.Code == ErrorCode.Local_QueueFull)
            {
                producer.Poll(TimeSpan.FromMilliseconds(10));
            }
        }
    }

    /// <summary>A written backlog: how long it took and how many record batches it was sent in (0 when the statistics said nothing).</summary>
    internal readonly record struct Produced(int Messages, TimeSpan Elapsed, long Batches)
    {
        public string Describe(int valueSize, int partitions) =>
            $"{Messages} x {valueSize} B, {partitions} partitions, {Messages / Elapsed.TotalSeconds:F0} msg/s, " +
            (Batches > 0 ? $"{Batches} batches of {(double)Messages / Batches:F1} messages on average" : "batch count unknown");
    }

    /// <summary>Adds up the producer's record batches from librdkafka's statistics (topics.T.batchcnt is a per-report window).</summary>
    private sealed class BatchCounter(string topic)
    {
        private long _batches;
        private int _reports;

        public long Batches => Interlocked.Read(ref _batches);

        public int Reports => Volatile.Read(ref _reports);

        public void Add(string json)
        {
            using var document = JsonDocument.Parse(json);
            if (document.RootElement.TryGetProperty("topics", out var topics)
                && topics.TryGetProperty(topic, out var stats)
                && stats.TryGetProperty("batchcnt", out var counts)
                && counts.TryGetProperty("cnt", out var count))
            {
                Interlocked.Add(ref _batches, count.GetInt64());
            }

            Interlocked.Increment(ref _reports);
        }
    }
}
