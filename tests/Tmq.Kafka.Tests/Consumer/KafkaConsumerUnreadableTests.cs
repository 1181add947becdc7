using System.Collections.Concurrent;
using System.Text;
using Confluent.Kafka;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Tmq.Kafka.Tests.Fakes;

namespace Tmq.Kafka.Tests.Consumer;

/// <summary>
/// A record batch the client cannot read between readable messages: it says gzip and its payload is
/// not, and with a wrong CRC too a consumer with <c>check.crcs</c> refuses it before it decompresses.
/// </summary>
public sealed class KafkaConsumerUnreadableTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(60);

    [Theory]
    [InlineData(false, "Local_BadCompression")]
    [InlineData(true, "Local_BadMsg")]
    public async Task UnreadableBatch_EachOffsetIsDeadLetteredWithWhatIsKnown_AndTheMessageAfterItIsHandled(bool badCrc, string error)
    {
        using var broker = EmbeddedKafkaBroker.Start();
        broker.CreateTopic("ledger", 1);
        broker.CreateTopic("ledger.dlq", 1);
        await KafkaConsumerBasicsTests.ProduceAsync(broker, "ledger", [("a", "before")]);
        var bad = await CorruptBatchWriter.AppendUndecompressableAsync(broker, "ledger", 0, records: 3, badCrc);
        await KafkaConsumerBasicsTests.ProduceAsync(broker, "ledger", [("b", "after")]);
        Assert.Equal(1, bad);

        var handled = new ConcurrentQueue<string>();
        var handler = new DelegateHandler((message, _) =>
        {
            handled.Enqueue($"{message.ValueAsString()}@{message.Offset}");
            return Task.CompletedTask;
        });
        await using var service = await TmqKafkaService.StartAsync(broker, "ledger", "ledger-svc", handler, new()
        {
            ["Tmq:Consumers:main:Kafka:check.crcs"] = badCrc ? "true" : "false",
        });

        using var dlq = KafkaTestClients.ReadFromStart(broker, "ledger.dlq", 1);
        var dead = KafkaTestClients.ConsumeExactly(dlq, 3, Timeout).Select(r => r.Message).ToList();
        await Eventually.TrueAsync(() => handled.Count == 2, Timeout, "the message after the unreadable batch was not handled");
        await service.StopAsync();

        Assert.Equal(["after@4", "before@0"], handled.Order());
        Assert.Equal(["1", "2", "3"], dead.Select(m => Header(m, "tmq-dlq-original-offset")));
        foreach (var letter in dead)
        {
            Assert.Null(letter.Key);
            Assert.Empty(letter.Value!);
            Assert.Equal("ledger", Header(letter, "tmq-dlq-original-topic"));
            Assert.Equal("0", Header(letter, "tmq-dlq-original-partition"));
            Assert.Equal("ledger-svc", Header(letter, "tmq-dlq-group"));
            Assert.Equal("1", Header(letter, "tmq-dlq-attempts")); // not retried: the broker serves the same bytes every time
            Assert.Equal(typeof(UnreadableMessageException).FullName, Header(letter, "tmq-dlq-exception-type"));
            Assert.Contains(error, Header(letter, "tmq-dlq-exception-message"), StringComparison.Ordinal);
        }

        // One dead letter per offset of the batch, none for the readable message after it.
        Assert.Equal(3, dlq.QueryWatermarkOffsets(new TopicPartition("ledger.dlq", 0), TimeSpan.FromSeconds(10)).High.Value);
        Assert.Equal(5, KafkaConsumerBasicsTests.CommittedTotal(broker, "ledger", "ledger-svc", 1));
    }

    [Fact]
    public async Task UndecompressableBatch_UnderStop_HaltsThePartitionAndCommitsNothingPastIt()
    {
        using var broker = EmbeddedKafkaBroker.Start();
        broker.CreateTopic("ledger", 1);
        await KafkaConsumerBasicsTests.ProduceAsync(broker, "ledger", [("a", "before")]);
        await CorruptBatchWriter.AppendUndecompressableAsync(broker, "ledger", 0, records: 1);
        await KafkaConsumerBasicsTests.ProduceAsync(broker, "ledger", [("b", "after")]);

        var handled = new ConcurrentQueue<string>();
        var handler = new DelegateHandler((message, _) =>
        {
            handled.Enqueue(message.ValueAsString());
            return Task.CompletedTask;
        });
        await using var service = await TmqKafkaService.StartAsync(broker, "ledger", "ledger-svc", handler, new()
        {
            ["Tmq:Consumers:main:Retry:OnExhausted"] = "Stop",
            ["Tmq:Consumers:main:Ordering"] = "Partition",
        });

        // Unhealthy for the Stop policy, not any unhealthy: until the poll thread has started, the
        // consumer reports itself not running, which is unhealthy too (two loaded runs of this suite got there
        // before a single message was read).
        var health = service.Services.GetRequiredService<HealthCheckService>();
        await Eventually.TrueAsync(
            async () => (await health.CheckHealthAsync()).Entries["tmq-consumer-main"].Description?.Contains("Stop policy", StringComparison.Ordinal) == true,
            Timeout,
            "the consumer never reported the partition halted under the Stop policy");
        await service.StopAsync();

        Assert.Equal(["before"], handled);
        using var reader = KafkaTestClients.GroupConsumer(broker, "ledger-svc");
        Assert.Equal(1, reader.Committed([new TopicPartition("ledger", 0)], TimeSpan.FromSeconds(10))[0].Offset.Value);
    }

    private static string Header(Message<byte[]?, byte[]?> message, string name) =>
        Encoding.UTF8.GetString(message.Headers.GetLastBytes(name));
}
