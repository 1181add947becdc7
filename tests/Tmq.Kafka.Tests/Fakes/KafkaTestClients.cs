using Confluent.Kafka;

namespace Tmq.Kafka.Tests.Fakes;

/// <summary>Confluent clients tuned for the embedded broker: short timeouts and backoffs so tests stay fast.</summary>
internal static class KafkaTestClients
{
    public static IProducer<byte[]?, byte[]?> Producer(EmbeddedKafkaBroker broker, int messageTimeoutMs = 10_000, bool idempotent = true, Action<ProducerConfig>? configure = null)
    {
        var config = new ProducerConfig
        {
            BootstrapServers = broker.BootstrapServers,
            EnableIdempotence = idempotent,
            Acks = Acks.All,
            LingerMs = 0,
            MessageTimeoutMs = messageTimeoutMs,
            ReconnectBackoffMs = 50,
            ReconnectBackoffMaxMs = 500,
            RetryBackoffMs = 50,
            RetryBackoffMaxMs = 500,
        };
        configure?.Invoke(config);
        return new ProducerBuilder<byte[]?, byte[]?>(config).SetLogHandler(static (_, _) => { }).Build();
    }

    /// <summary>A group consumer; the broker's initial rebalance delay is zero, so it is assigned at once.</summary>
    public static IConsumer<byte[]?, byte[]?> GroupConsumer(EmbeddedKafkaBroker broker, string group) =>
        new ConsumerBuilder<byte[]?, byte[]?>(ConsumerConfig(broker, group)).SetLogHandler(static (_, _) => { }).Build();

    /// <summary>A consumer assigned to every partition of <paramref name="topic"/> from the start, without a group.</summary>
    public static IConsumer<byte[]?, byte[]?> ReadFromStart(EmbeddedKafkaBroker broker, string topic, int partitions)
    {
        var consumer = new ConsumerBuilder<byte[]?, byte[]?>(ConsumerConfig(broker, "unused-" + Guid.NewGuid().ToString("N")))
            .SetLogHandler(static (_, _) => { })
            .Build();
        consumer.Assign(Enumerable.Range(0, partitions).Select(p => new TopicPartitionOffset(topic, p, Offset.Beginning)));
        return consumer;
    }

    /// <summary>
    /// Polls until <paramref name="count"/> messages arrived, then reads on to the end of every
    /// assigned partition and fails if there were more: a second copy of a message expected once
    /// (a duplicate dead letter, a send written twice) fails the test instead of going unseen.
    /// Call it once what is expected has been written (after the send returned, or once the
    /// position passed the dead-lettered message), so that a duplicate is already there.
    /// </summary>
    public static List<ConsumeResult<byte[]?, byte[]?>> ConsumeExactly(IConsumer<byte[]?, byte[]?> consumer, int count, TimeSpan? timeout = null)
    {
        var results = new List<ConsumeResult<byte[]?, byte[]?>>();
        var deadline = DateTime.UtcNow + (timeout ?? TimeSpan.FromSeconds(10));
        while (results.Count < count)
        {
            Assert.True(DateTime.UtcNow < deadline, $"Only {results.Count} of {count} message(s) arrived before the deadline.");
            if (consumer.Consume(TimeSpan.FromMilliseconds(100)) is { IsPartitionEOF: false } result)
            {
                results.Add(result);
            }
        }

        var extra = new List<ConsumeResult<byte[]?, byte[]?>>();
        while (!AtEnd(consumer))
        {
            Assert.True(DateTime.UtcNow < deadline, $"The {count} expected message(s) arrived, but the end of {string.Join(", ", consumer.Assignment)} was not reached before the deadline.");
            if (consumer.Consume(TimeSpan.FromMilliseconds(100)) is { IsPartitionEOF: false } result)
            {
                extra.Add(result);
            }
        }

        Assert.True(
            extra.Count == 0,
            $"{count} message(s) expected, {count + extra.Count} arrived; more: {string.Join(", ", extra.Select(r => $"{r.TopicPartitionOffset} value '{System.Text.Encoding.UTF8.GetString(r.Message.Value ?? [])}'"))}.");
        return results;
    }

    /// <summary>True when the consumer's position is at the end of every partition it is assigned.</summary>
    private static bool AtEnd(IConsumer<byte[]?, byte[]?> consumer) => consumer.Assignment.All(partition =>
    {
        var marks = consumer.QueryWatermarkOffsets(partition, TimeSpan.FromSeconds(10));
        var position = consumer.Position(partition);
        return position == Offset.Unset ? marks.Low == marks.High : position.Value >= marks.High.Value;
    });

    private static ConsumerConfig ConsumerConfig(EmbeddedKafkaBroker broker, string group) => new()
    {
        BootstrapServers = broker.BootstrapServers,
        GroupId = group,
        AutoOffsetReset = AutoOffsetReset.Earliest,
        EnableAutoCommit = false,
        SessionTimeoutMs = 6_000,
        HeartbeatIntervalMs = 500,
        ReconnectBackoffMs = 50,
        ReconnectBackoffMaxMs = 500,
        FetchWaitMaxMs = 50,
    };
}
