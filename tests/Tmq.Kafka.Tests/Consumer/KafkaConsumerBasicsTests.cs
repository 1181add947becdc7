using System.Collections.Concurrent;
using System.Text;
using Confluent.Kafka;
using Tmq.Kafka.Tests.Fakes;

namespace Tmq.Kafka.Tests.Consumer;

public sealed class KafkaConsumerBasicsTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(60);

    [Fact]
    public async Task Consume_KeyedMessages_HandledAndCommittedOnShutdown()
    {
        using var broker = EmbeddedKafkaBroker.Start();
        broker.CreateTopic("orders", 3);
        await ProduceAsync(broker, "orders", Enumerable.Range(0, 300).Select(i => ($"k{i % 10}", $"v{i}")));

        var handled = new ConcurrentDictionary<string, int>();
        var all = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var handler = new DelegateHandler((message, _) =>
        {
            handled.AddOrUpdate(message.ValueAsString(), 1, (_, n) => n + 1);
            if (handled.Count == 300)
            {
                all.TrySetResult();
            }

            return Task.CompletedTask;
        });

        await using (var service = await TmqKafkaService.StartAsync(broker, "orders", "g1", handler))
        {
            await all.Task.WaitAsync(Timeout);
            await service.StopAsync();
        }

        Assert.All(handled.Values, n => Assert.Equal(1, n));
        Assert.Equal(300, CommittedTotal(broker, "orders", "g1", 3));
    }

    [Theory]
    [InlineData(null, null)]
    [InlineData("message.max.bytes", "3000000")]
    [InlineData("fetch.max.bytes", "262144")]
    public async Task Consume_MessageOverTheFetchDefault_IsHandled(string? key, string? value)
    {
        // A 2 MB message is larger than the consumer's fetch.max.bytes default (512 KiB): a Fetch
        // response still carries one whole batch. librdkafka refuses a fetch.max.bytes below
        // message.max.bytes, so a user who sets one of the two must not have to set the other too,
        // or nothing starts: raising the message limit raises the fetch default, lowering the fetch
        // limit lowers the message default.
        using var broker = EmbeddedKafkaBroker.Start();
        broker.CreateTopic("images", 1);
        var payload = new byte[2_000_000];
        Random.Shared.NextBytes(payload);
        using (var producer = KafkaTestClients.Producer(broker, configure: static c => c.MessageMaxBytes = 3_000_000))
        {
            await producer.ProduceAsync("images", new Message<byte[]?, byte[]?> { Key = "big"u8.ToArray(), Value = payload }).Within(Timeout);
        }

        var received = new TaskCompletionSource<byte[]>(TaskCreationOptions.RunContinuationsAsynchronously);
        var handler = new DelegateHandler((message, _) =>
        {
            received.TrySetResult(message.Value.ToArray());
            return Task.CompletedTask;
        });
        var settings = key is null ? null : new Dictionary<string, string?> { [$"Tmq:Consumers:main:Kafka:{key}"] = value };

        await using var service = await TmqKafkaService.StartAsync(broker, "images", "g-big", handler, settings);
        Assert.Equal(payload, await received.Task.WaitAsync(Timeout));
    }

    internal static async Task ProduceAsync(EmbeddedKafkaBroker broker, string topic, IEnumerable<(string Key, string Value)> messages)
    {
        using var producer = KafkaTestClients.Producer(broker);
        var sends = messages.Select(m => producer.ProduceAsync(topic, new Message<byte[]?, byte[]?> { Key = Encoding.UTF8.GetBytes(m.Key), Value = Encoding.UTF8.GetBytes(m.Value) })).ToList();
        await Task.WhenAll(sends);
    }

    /// <summary>Sum over partitions of the group's committed offsets (= messages committed, for a topic that started empty).</summary>
    internal static long CommittedTotal(EmbeddedKafkaBroker broker, string topic, string group, int partitions)
    {
        using var consumer = KafkaTestClients.GroupConsumer(broker, group);
        var committed = consumer.Committed(Enumerable.Range(0, partitions).Select(p => new TopicPartition(topic, p)), TimeSpan.FromSeconds(10));
        return committed.Sum(c => c.Offset.Value < 0 ? 0 : c.Offset.Value);
    }
}
