using Tmq.Kafka.Tests.Fakes;

namespace Tmq.Kafka.Tests.Consumer;

public sealed class KafkaConsumerMetricsTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(60);

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
