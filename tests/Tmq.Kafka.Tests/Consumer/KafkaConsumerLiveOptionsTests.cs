using System.Collections.Concurrent;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Tmq.Kafka.Tests.Fakes;

namespace Tmq.Kafka.Tests.Consumer;

public sealed class KafkaConsumerLiveOptionsTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(60);

    [Fact]
    public async Task Paused_SetInConfiguration_StopsFetchingUntilCleared()
    {
        using var broker = EmbeddedKafkaBroker.Start();
        broker.CreateTopic("orders", 2);
        var handled = new ConcurrentQueue<string>();
        var handler = new DelegateHandler((message, _) =>
        {
            handled.Enqueue(message.ValueAsString());
            return Task.CompletedTask;
        });
        var logs = new LogCapture();
        await using var service = await TmqKafkaService.StartAsync(broker, "orders", "live", handler, logs: logs);
        await service.WaitForAssignmentAsync();

        var config = (IConfigurationRoot)service.Services.GetRequiredService<IConfiguration>();
        config["Tmq:Consumers:main:Paused"] = "true";
        config.Reload();
        await Eventually.TrueAsync(() => logs.Events.Any(e => e.EventId == 2012 && e.Message.Contains("Paused option", StringComparison.Ordinal)), Timeout, "the consumer did not pause");

        await KafkaConsumerBasicsTests.ProduceAsync(broker, "orders", Enumerable.Range(0, 20).Select(i => ($"k{i}", $"v{i}")));
        Assert.Empty(handled);

        config["Tmq:Consumers:main:Paused"] = "false";
        config.Reload();
        await Eventually.TrueAsync(() => handled.Count == 20, Timeout, "messages were not handled after resuming");
    }
}
