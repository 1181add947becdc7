using System.Collections.Concurrent;
using System.Globalization;
using System.Text;
using Confluent.Kafka;
using Tmq.Kafka.Tests.Fakes;

namespace Tmq.Kafka.Tests.Consumer;

public sealed class KafkaConsumerOrderingTests
{
    [Fact]
    public async Task KeyOrdering_50kMessagesConcurrency64Over6Partitions_EachKeyInProductionOrder()
    {
        const int messages = 50_000;
        const int keys = 500;
        using var broker = EmbeddedKafkaBroker.Start();
        broker.CreateTopic("events", 6);
        await ProduceSequencedAsync(broker, "events", messages, keys);

        var last = new ConcurrentDictionary<string, int>();
        var active = new ConcurrentDictionary<string, int>();
        var violations = new ConcurrentQueue<string>();
        var count = 0;
        var maxParallel = 0;
        var running = 0;
        var all = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var handler = new DelegateHandler(async (message, _) =>
        {
            var key = message.KeyAsString();
            var sequence = int.Parse(message.ValueAsString(), CultureInfo.InvariantCulture);
            if (active.AddOrUpdate(key, 1, (_, n) => n + 1) != 1)
            {
                violations.Enqueue($"key {key} ran twice at once");
            }

            var now = Interlocked.Increment(ref running);
            int seen;
            while ((seen = Volatile.Read(ref maxParallel)) < now && Interlocked.CompareExchange(ref maxParallel, now, seen) != seen)
            {
            }

            var previous = last.GetOrAdd(key, -1);
            if (sequence != previous + 1)
            {
                violations.Enqueue($"key {key}: {sequence} after {previous}");
            }

            last[key] = sequence;
            if (sequence % 7 == 0)
            {
                await Task.Yield();
            }

            Interlocked.Decrement(ref running);
            active.AddOrUpdate(key, 0, (_, n) => n - 1);
            if (Interlocked.Increment(ref count) == messages)
            {
                all.TrySetResult();
            }
        });

        await using (var service = await TmqKafkaService.StartAsync(broker, "events", "ordering", handler, new()
        {
            ["Tmq:Consumers:main:Concurrency"] = "64",
        }))
        {
            await all.Task.WaitAsync(TimeSpan.FromMinutes(2));
            await service.StopAsync();
        }

        Assert.Empty(violations);
        Assert.Equal(messages, count);
        Assert.All(last.Values, v => Assert.Equal((messages / keys) - 1, v));
        Assert.True(maxParallel > 1, "handlers never ran in parallel");
        Assert.True(maxParallel <= 64, $"{maxParallel} handlers ran at once with Concurrency 64");
        Assert.Equal(messages, KafkaConsumerBasicsTests.CommittedTotal(broker, "events", "ordering", 6));
    }

    /// <summary>Produces key i % keys with a per-key sequence number as the value, partitioned by key.</summary>
    internal static async Task ProduceSequencedAsync(EmbeddedKafkaBroker broker, string topic, int messages, int keys)
    {
        using var producer = KafkaTestClients.Producer(broker);
        var sends = new List<Task>(messages);
        for (var i = 0; i < messages; i++)
        {
            sends.Add(producer.ProduceAsync(topic, new Message<byte[]?, byte[]?>
            {
                Key = Encoding.UTF8.GetBytes($"key-{i % keys}"),
                Value = Encoding.UTF8.GetBytes((i / keys).ToString(CultureInfo.InvariantCulture)),
            }));
        }

        await Task.WhenAll(sends);
    }
}
