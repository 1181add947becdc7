using System.Text;
using Confluent.Kafka;
using Tmq.Kafka.Tests.Fakes;
using Tmq.Tests.Shared;

namespace Tmq.Kafka.Tests.Consumer;

public sealed class KafkaConsumerMetricsTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(60);

    private static readonly string[] Outcomes =
    [
        "tmq.consumer.outcomes{success}", "tmq.consumer.outcomes{retry}", "tmq.consumer.outcomes{dead_letter}",
        "tmq.consumer.outcomes{stopped}", "tmq.consumer.outcomes{cancelled}",
    ];

    private static readonly string[] Rebalances = ["tmq.consumer.rebalances{assigned}", "tmq.consumer.rebalances{revoked}", "tmq.consumer.rebalances{lost}"];

    [Fact]
    public async Task Start_BeforeAnyMessage_EveryCounterSeriesIsThereAtZero()
    {
        using var broker = EmbeddedKafkaBroker.Start();
        broker.CreateTopic("orders", 1);
        using var counters = new CounterRecorder("metrics-zero");

        await using var service = await TmqKafkaService.StartAsync(broker, "orders", "metrics-zero", new DelegateHandler(static (_, _) => Task.CompletedTask));

        // A dashboard shows 0 rather than "no data", and an alert's increase() sees the first count.
        string[] expected = ["messaging.client.consumed.messages", "tmq.dead_letter.write_failures", .. Outcomes, .. Rebalances];
        Assert.Equal(expected.Order(StringComparer.Ordinal), counters.Series.Order(StringComparer.Ordinal));
        foreach (var series in expected.Except(Rebalances))
        {
            Assert.Equal(0, counters.Total(series));
        }
    }

    [Fact]
    public async Task Outcomes_OfHandledRetriedAndDeadLetteredMessages_AreCountedOnTheMeter()
    {
        using var broker = EmbeddedKafkaBroker.Start();
        broker.CreateTopic("orders", 1);
        using var counters = new CounterRecorder("metrics-outcomes");
        using (var producer = KafkaTestClients.Producer(broker))
        {
            foreach (var value in new[] { "a", "b", "flaky", "poison" })
            {
                await producer.ProduceAsync("orders", new Message<byte[]?, byte[]?> { Key = Encoding.UTF8.GetBytes(value), Value = Encoding.UTF8.GetBytes(value) });
            }
        }

        var handler = new DelegateHandler((message, _) => message.ValueAsString() switch
        {
            "poison" => throw new PermanentFailureException("bad"),
            "flaky" when message.Attempt == 1 => throw new InvalidOperationException("once"),
            _ => Task.CompletedTask,
        });
        await using var service = await TmqKafkaService.StartAsync(broker, "orders", "metrics-outcomes", handler, new()
        {
            ["Tmq:Consumers:main:Retry:InitialDelay"] = "00:00:00",
            ["Tmq:Consumers:main:Retry:MaxDelay"] = "00:00:00",
        });

        await Eventually.TrueAsync(
            () => counters.Total("tmq.consumer.outcomes{success}") == 3 && counters.Total("tmq.consumer.outcomes{dead_letter}") == 1,
            Timeout,
            "the meter never showed 3 successes and 1 dead letter");
        Assert.Equal(1, counters.Total("tmq.consumer.outcomes{retry}"));
        Assert.Equal(0, counters.Total("tmq.consumer.outcomes{stopped}"));
        Assert.Equal(0, counters.Total("tmq.consumer.outcomes{cancelled}"));
    }

    [Fact]
    public async Task Rebalance_SeveralPartitionsAtOnce_CountsOneRebalance()
    {
        using var broker = EmbeddedKafkaBroker.Start();
        broker.CreateTopic("orders", 3);
        using var counters = new CounterRecorder("metrics-rebalances");

        var service = await TmqKafkaService.StartAsync(broker, "orders", "metrics-rebalances", new DelegateHandler(static (_, _) => Task.CompletedTask));
        await using (service)
        {
            await Eventually.TrueAsync(() => service.Status.Assigned == 3, Timeout, "the consumer was never assigned the three partitions");
            await Eventually.TrueAsync(() => counters.Total("tmq.consumer.rebalances{assigned}") > 0, Timeout, "the assignment was not counted");
            Assert.Equal(1, counters.Total("tmq.consumer.rebalances{assigned}"));
        }

        // Leaving the group revokes the three partitions in one callback too.
        Assert.Equal(1, counters.Total("tmq.consumer.rebalances{revoked}"));
        Assert.Equal(0, counters.Total("tmq.consumer.rebalances{lost}"));
    }
}
