using System.Collections.Concurrent;
using System.Text;
using Confluent.Kafka;
using Tmq.Kafka.Tests.Fakes;

namespace Tmq.Kafka.Tests.Consumer;

/// <summary>One key's backlog behind a stuck handler fills the buffer: the other partitions still flow.</summary>
public sealed class KafkaConsumerFairnessTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(60);

    [Fact]
    public async Task HotKey_FillsTheBuffer_AnotherPartitionsMessagesAreStillHandled()
    {
        using var broker = EmbeddedKafkaBroker.Start();
        broker.CreateTopic("orders", 4);
        var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var hotStarted = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var started = new ConcurrentQueue<string>();
        var handled = new ConcurrentQueue<string>();
        var handler = new DelegateHandler(async (message, _) =>
        {
            started.Enqueue(message.ValueAsString());
            if (message.KeyAsString() == "hot")
            {
                hotStarted.TrySetResult();
                await gate.Task;
            }

            handled.Enqueue(message.ValueAsString());
        });
        var logs = new LogCapture();
        var settings = new Dictionary<string, string?>
        {
            ["Tmq:Consumers:main:MaxBufferedMessages"] = "100",
            ["Tmq:Consumers:main:Concurrency"] = "4",
        };
        await using var service = await TmqKafkaService.StartAsync(broker, "orders", "fairness", handler, settings, logs: logs);
        await service.WaitForAssignmentAsync();
        try
        {
            await ProduceToAsync(broker, new TopicPartition("orders", 0), Enumerable.Range(0, 500).Select(i => ("hot", $"hot-{i}")));
            await hotStarted.Task.WaitAsync(Timeout);

            // The hot key's messages fill the buffer; fetching stops for its partition.
            await Eventually.TrueAsync(() => logs.Events.Any(e => e.EventId == 2012 && e.Message.Contains("fetching paused", StringComparison.Ordinal)), Timeout, "the full buffer paused nothing");
            await Eventually.TrueAsync(() => TmqGauge.Read("tmq.consumer.buffered", "fairness") >= 100, Timeout, "the hot key's backlog never filled the buffer");

            await ProduceToAsync(broker, new TopicPartition("orders", 1), [("fresh", "fresh-0")]);

            await Eventually.TrueAsync(
                () =>
                {
                    // Meanwhile the hot key stays stuck: its first message runs and its backlog waits behind it.
                    Assert.Equal(["hot-0"], started.Where(v => v.StartsWith("hot-", StringComparison.Ordinal)));
                    return handled.Contains("fresh-0");
                },
                Timeout,
                "a message of another partition waited behind the hot key's backlog");
        }
        finally
        {
            gate.TrySetResult();
        }

        await Eventually.TrueAsync(() => handled.Count == 501, Timeout, "not every message was handled once the hot key moved");
        var hot = handled.Where(v => v.StartsWith("hot-", StringComparison.Ordinal)).ToList();
        Assert.Equal(Enumerable.Range(0, 500).Select(i => $"hot-{i}"), hot);
    }

    [Fact]
    public async Task SeveralPartitionsHoldTheBuffer_NoneTwiceItsShare_AnIdlePartitionsMessageIsStillHandled()
    {
        // Three partitions' backlogs (one stuck key each) share the full buffer, each between one
        // and two shares (share 25 of 100); librdkafka holds thousands more of theirs, fetched ahead
        // of anything new on partition 0.
        using var broker = EmbeddedKafkaBroker.Start();
        broker.CreateTopic("orders", 4);
        var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var started = new ConcurrentQueue<string>();
        var handled = new ConcurrentQueue<string>();
        var handler = new DelegateHandler(async (message, _) =>
        {
            started.Enqueue(message.ValueAsString());
            if (message.KeyAsString() != "late")
            {
                await gate.Task;
            }

            handled.Enqueue(message.ValueAsString());
        });
        var settings = new Dictionary<string, string?>
        {
            ["Tmq:Consumers:main:MaxBufferedMessages"] = "100",
            ["Tmq:Consumers:main:Concurrency"] = "4",
        };
        await using var service = await TmqKafkaService.StartAsync(broker, "orders", "fairness-shares", handler, settings);
        await service.WaitForAssignmentAsync();
        try
        {
            foreach (var partition in new[] { 1, 2, 3 })
            {
                await ProduceToAsync(broker, new TopicPartition("orders", partition), Enumerable.Range(0, 2000).Select(i => ($"k{partition}", $"p{partition}-{i}")));
            }

            await Eventually.TrueAsync(() => TmqGauge.Read("tmq.consumer.buffered", "fairness-shares") >= 100, Timeout, "the three backlogs never filled the buffer");
            await ProduceToAsync(broker, new TopicPartition("orders", 0), [("late", "late-0")]);

            string[] stuck = ["late-0", "p1-0", "p2-0", "p3-0"];
            await Eventually.TrueAsync(
                () =>
                {
                    // Meanwhile the backlogs stay stuck: each one's first message runs, the rest wait behind it.
                    Assert.All(started, v => Assert.Contains(v, stuck));
                    return handled.Contains("late-0");
                },
                Timeout,
                "a message of an idle partition waited behind the others' backlogs");
            Assert.Equal(stuck, started.Order(StringComparer.Ordinal));
        }
        finally
        {
            gate.TrySetResult();
        }

        await Eventually.TrueAsync(() => handled.Count == 6001, Timeout, "not every message was handled once the backlogs moved");
    }

    private static async Task ProduceToAsync(EmbeddedKafkaBroker broker, TopicPartition partition, IEnumerable<(string Key, string Value)> messages)
    {
        using var producer = KafkaTestClients.Producer(broker);
        var sends = messages.Select(m => producer.ProduceAsync(partition, new Message<byte[]?, byte[]?> { Key = Encoding.UTF8.GetBytes(m.Key), Value = Encoding.UTF8.GetBytes(m.Value) })).ToList();
        await Task.WhenAll(sends);
    }
}
