using Tmq.Nsq.Tests.Fakes;
using Tmq.Tests.Shared;

namespace Tmq.Nsq.Tests.Hosting;

public sealed class NsqConsumerMetricsTests
{
    [Fact]
    public async Task Start_BeforeAnyMessage_EveryCounterSeriesIsThereAtZero()
    {
        await using var nsqd = ScriptedNsqd.Start();
        using var counters = new CounterRecorder("metrics-zero");

        await using var host = await NsqTestHost.StartAsync(
            new Dictionary<string, string?>
            {
                ["Consumers:main:Channel"] = "metrics-zero",
                ["Consumers:main:Nsq:Nsqd:0"] = $"127.0.0.1:{nsqd.EndPoint.Port}",
            },
            static (_, _) => Task.CompletedTask);

        // A retry may be a REQ, so requeue is there too; rebalances are not: NSQ has no consumer groups to rebalance.
        string[] expected =
        [
            "messaging.client.consumed.messages", "tmq.dead_letter.write_failures",
            "tmq.consumer.outcomes{success}", "tmq.consumer.outcomes{retry}", "tmq.consumer.outcomes{requeue}",
            "tmq.consumer.outcomes{dead_letter}", "tmq.consumer.outcomes{stopped}", "tmq.consumer.outcomes{cancelled}",
        ];
        Assert.Equal(expected.Order(StringComparer.Ordinal), counters.Series.Order(StringComparer.Ordinal));
        Assert.All(expected, series => Assert.Equal(0, counters.Total(series)));
    }
}
