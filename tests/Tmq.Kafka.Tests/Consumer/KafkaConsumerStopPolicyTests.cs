using System.Collections.Concurrent;
using Confluent.Kafka;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Tmq.Kafka.Tests.Fakes;

namespace Tmq.Kafka.Tests.Consumer;

public sealed class KafkaConsumerStopPolicyTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(60);

    [Fact]
    public async Task StopPolicy_PoisonMessage_HaltsPartitionReportsUnhealthyAndCommitsNothingPastIt()
    {
        using var broker = EmbeddedKafkaBroker.Start();
        broker.CreateTopic("ledger", 1);
        await KafkaConsumerBasicsTests.ProduceAsync(broker, "ledger", [("a", "ok-1"), ("b", "poison"), ("c", "ok-2")]);

        var handled = new ConcurrentQueue<string>();
        var handler = new DelegateHandler((message, _) =>
        {
            if (message.ValueAsString() == "poison")
            {
                throw new InvalidOperationException("cannot book");
            }

            handled.Enqueue(message.ValueAsString());
            return Task.CompletedTask;
        });
        var logs = new LogCapture();
        await using var service = await TmqKafkaService.StartAsync(broker, "ledger", "ledger-svc", handler, new()
        {
            ["Tmq:Consumers:main:Retry:MaxAttempts"] = "2",
            ["Tmq:Consumers:main:Retry:OnExhausted"] = "Stop",
            ["Tmq:Consumers:main:Ordering"] = "Partition",
        }, logs: logs);

        var health = service.Services.GetRequiredService<HealthCheckService>();
        await Eventually.TrueAsync(async () => (await health.CheckHealthAsync()).Status == HealthStatus.Unhealthy, Timeout, "the consumer never reported unhealthy");
        await Eventually.TrueAsync(() => logs.Has(2012), Timeout, "the halted partition was not paused");
        var report = await health.CheckHealthAsync();
        Assert.Contains("Stop policy", report.Entries["tmq-consumer-main"].Description, StringComparison.Ordinal);

        await service.StopAsync();
        Assert.Equal(["ok-1"], handled);
        using var reader = KafkaTestClients.GroupConsumer(broker, "ledger-svc");
        Assert.Equal(1, reader.Committed([new TopicPartition("ledger", 0)], TimeSpan.FromSeconds(10))[0].Offset.Value);
    }
}
