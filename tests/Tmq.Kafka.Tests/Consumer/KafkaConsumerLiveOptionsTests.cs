using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Tmq.Kafka.Tests.Fakes;
using Tmq.Telemetry;
using Tmq.Tests.Shared;

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
        using var counters = new CounterRecorder("live");
        await using var service = await TmqKafkaService.StartAsync(broker, "orders", "live", handler, logs: logs);
        await service.WaitForAssignmentAsync();

        var config = (IConfigurationRoot)service.Services.GetRequiredService<IConfiguration>();
        config["Tmq:Consumers:main:Paused"] = "true";
        config.Reload();
        await Eventually.TrueAsync(() => logs.Events.Any(e => e.EventId == 2012 && e.Message.Contains("Paused option", StringComparison.Ordinal)), Timeout, "the consumer did not pause");

        await KafkaConsumerBasicsTests.ProduceAsync(broker, "orders", Enumerable.Range(0, 20).Select(i => ($"k{i}", $"v{i}")));

        // Not checked the instant the produce returns (nothing could have been handled yet anyway):
        // once the consumer's lag counts the 20 messages, it has seen them on the broker and, paused,
        // fetched none. A lag of 20 alone would also show while fetched messages wait for a worker,
        // so the consumed count says none was fetched: the poll thread counts a message before it
        // updates the lag.
        await Eventually.TrueAsync(() => TmqGauge.Read("tmq.consumer.lag", "live") == 20, Timeout, "the paused consumer's lag never showed the 20 messages produced");
        Assert.Equal(0, counters.Total("messaging.client.consumed.messages"));
        Assert.Empty(handled);
        var health = service.Services.GetRequiredService<HealthCheckService>();
        var paused = (await health.CheckHealthAsync()).Entries["tmq-consumer-main"];
        Assert.Equal(HealthStatus.Healthy, paused.Status);
        Assert.Equal("Consumer main is paused (the Paused option is set).", paused.Description);

        config["Tmq:Consumers:main:Paused"] = "false";
        config.Reload();
        await Eventually.TrueAsync(() => handled.Count == 20, Timeout, "messages were not handled after resuming");
        Assert.Equal("Consumer main is consuming.", (await health.CheckHealthAsync()).Entries["tmq-consumer-main"].Description);
    }

    [Fact]
    public async Task Lag_ConsumerPausedFromItsStart_ShowsTheBacklogAndFollowsNewMessages()
    {
        using var broker = EmbeddedKafkaBroker.Start();
        broker.CreateTopic("orders", 2);
        await KafkaConsumerBasicsTests.ProduceAsync(broker, "orders", Enumerable.Range(0, 7).Select(i => ($"k{i}", $"v{i}")));
        var handler = new DelegateHandler((_, _) => Task.CompletedTask);
        await using var service = await TmqKafkaService.StartAsync(broker, "orders", "lag-paused", handler, new() { ["Tmq:Consumers:main:Paused"] = "true" });
        await service.WaitForAssignmentAsync();

        // Nothing is fetched, so the lag comes from the broker: committed (none: the oldest kept) to the end.
        await Eventually.TrueAsync(() => TmqGauge.Read("tmq.consumer.lag", "lag-paused") == 7, Timeout, "the lag of a consumer paused from its start did not show its 7-message backlog");
        await KafkaConsumerBasicsTests.ProduceAsync(broker, "orders", Enumerable.Range(7, 3).Select(i => ($"k{i}", $"v{i}")));
        await Eventually.TrueAsync(() => TmqGauge.Read("tmq.consumer.lag", "lag-paused") == 10, Timeout, "the lag did not follow messages produced while paused");
    }

    /// <summary>The sum of the lag gauge over the partitions of <paramref name="group"/>, or -1 with no series.</summary>
    [Fact]
    public async Task LiveChange_Invalid_IsReportedAndNotApplied()
    {
        using var broker = EmbeddedKafkaBroker.Start();
        broker.CreateTopic("orders", 1);
        var handled = new ConcurrentQueue<string>();
        var handler = new DelegateHandler((message, _) =>
        {
            handled.Enqueue(message.ValueAsString());
            return Task.CompletedTask;
        });
        var logs = new LogCapture();
        await using var service = await TmqKafkaService.StartAsync(broker, "orders", "live-bad", handler, logs: logs);
        await service.WaitForAssignmentAsync();

        var config = (IConfigurationRoot)service.Services.GetRequiredService<IConfiguration>();
        config["Tmq:Consumers:main:Concurrency"] = "0";
        try
        {
            config.Reload();
        }
        catch (AggregateException)
        {
            // The options monitor throws the rejection at whoever reloads; a file watcher drops it.
        }

        await Eventually.TrueAsync(
            () => logs.Events.Any(e => e.EventId == 1010 && e.Message.Contains("Tmq:Consumers:main:Concurrency is 0", StringComparison.Ordinal)),
            Timeout,
            "the rejected change was not reported");
        Assert.DoesNotContain(logs.Events, e => e.EventId == 1007);

        // The consumer goes on with its previous settings.
        await KafkaConsumerBasicsTests.ProduceAsync(broker, "orders", Enumerable.Range(0, 5).Select(i => ($"k{i}", $"v{i}")));
        await Eventually.TrueAsync(() => handled.Count == 5, Timeout, "messages were not handled after the rejected change");

        config["Tmq:Consumers:main:Concurrency"] = "4";
        config.Reload();
        await Eventually.TrueAsync(() => logs.Events.Any(e => e.EventId == 1007), Timeout, "the valid change was not applied");
        Assert.DoesNotContain(logs.Events, e => e.EventId == 1013);
        Assert.DoesNotContain(logs.Events, e => e.EventId == 1015);

        // A setting read only at start-up: said to apply at the next restart, by name, once.
        config["Tmq:Consumers:main:MaxBufferedMessages"] = "500";
        config["Tmq:Consumers:main:Kafka:fetch.wait.max.ms"] = "200";
        config.Reload();
        config.Reload();
        await Eventually.TrueAsync(() => logs.Has(1015), Timeout, "the change of a start-up setting was not reported");
        var restart = Assert.Single(logs.Events, e => e.EventId == 1015);
        Assert.Contains("Tmq:Consumers:main:Kafka:fetch.wait.max.ms, Tmq:Consumers:main:MaxBufferedMessages changed", restart.Message, StringComparison.Ordinal);
        Assert.Contains("applies when the service restarts", restart.Message, StringComparison.Ordinal);

        // A retry change is said too: it shows in no metric until a message fails.
        config["Tmq:Consumers:main:Retry:MaxAttempts"] = "2";
        config.Reload();
        await Eventually.TrueAsync(
            () => logs.Events.Any(e => e.EventId == 1013 && e.Message.Contains("retry settings changed to MaxAttempts 2, InitialDelay", StringComparison.Ordinal)),
            Timeout,
            "the retry change was not logged");
    }
}
