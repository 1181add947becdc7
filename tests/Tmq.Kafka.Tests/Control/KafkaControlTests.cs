using System.Collections.Concurrent;
using System.Text;
using Confluent.Kafka;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Options;
using Tmq.Control;
using Tmq.Kafka.Tests.Consumer;
using Tmq.Kafka.Tests.Fakes;
using Tmq.Tests.Shared;

namespace Tmq.Kafka.Tests.Control;

/// <summary>
/// Control messages on a Kafka topic steer every running instance of a service, and a restarted
/// one starts with the latest state; a bad, foreign or unreadable message changes nothing.
/// </summary>
public sealed class KafkaControlTests
{
    private const string Service = "tests.kafka.consumer";
    private const string ControlTopic = "tmq.control";
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(60);

    [Fact]
    public async Task Pause_SentToTheService_PausesEveryInstanceAndResumeConsumesTheBacklog()
    {
        using var broker = EmbeddedKafkaBroker.Start();
        broker.CreateTopic("orders", 4);
        broker.CreateTopic(ControlTopic, 1);
        var handled = new ConcurrentQueue<string>();
        var handler = new DelegateHandler((message, _) =>
        {
            handled.Enqueue(message.ValueAsString());
            return Task.CompletedTask;
        });
        using var counters = new CounterRecorder("ctl-pause");
        await using var first = await StartAsync(broker, "ctl-pause", handler);
        await using var second = await StartAsync(broker, "ctl-pause", handler);
        await Eventually.TrueAsync(() => first.Status.Assigned + second.Status.Assigned == 4 && first.Status.Assigned > 0 && second.Status.Assigned > 0, Timeout, "the two instances did not share the partitions");

        await SendAsync(broker, Message(null, ("Paused", "true")));

        await Eventually.TrueAsync(() => first.Status.Paused && second.Status.Paused, Timeout, "not every instance paused");
        var health = (await first.Services.GetRequiredService<HealthCheckService>().CheckHealthAsync()).Entries["tmq-consumer-main"];
        Assert.Equal(HealthStatus.Healthy, health.Status);
        Assert.Equal(true, health.Data["paused"]);
        await KafkaConsumerBasicsTests.ProduceAsync(broker, "orders", Enumerable.Range(0, 20).Select(i => ($"k{i}", $"v{i}")));
        await Eventually.TrueAsync(() => TmqGauge.Read("tmq.consumer.lag", "ctl-pause") == 20, Timeout, "the paused instances' lag never showed the 20 messages");
        Assert.Equal(0, counters.Total("messaging.client.consumed.messages"));

        await SendAsync(broker, Message(null, ("Paused", "false")));

        await Eventually.TrueAsync(() => handled.Count == 20, Timeout, "the backlog was not handled after resuming");
        Assert.False(first.Status.Paused || second.Status.Paused);
    }

    [Fact]
    public async Task Restart_WithPausedStateOnTheTopic_StartsPausedUntilCleared()
    {
        using var broker = EmbeddedKafkaBroker.Start();
        broker.CreateTopic("orders", 2);
        broker.CreateTopic(ControlTopic, 1);
        await SendAsync(broker, Message(null, ("Paused", "true")));
        await KafkaConsumerBasicsTests.ProduceAsync(broker, "orders", Enumerable.Range(0, 5).Select(i => ($"k{i}", $"v{i}")));
        var handled = new ConcurrentQueue<string>();
        using var counters = new CounterRecorder("ctl-restart");

        await using var service = await StartAsync(broker, "ctl-restart", new DelegateHandler((message, _) =>
        {
            handled.Enqueue(message.ValueAsString());
            return Task.CompletedTask;
        }));

        // Start-up read the control topic before the consumer started: it never fetched.
        Assert.True(Options(service).Paused);
        await service.WaitForAssignmentAsync();
        await Eventually.TrueAsync(() => TmqGauge.Read("tmq.consumer.lag", "ctl-restart") == 5, Timeout, "the lag never showed the 5-message backlog");
        Assert.Equal(0, counters.Total("messaging.client.consumed.messages"));

        // A tombstone clears the service's settings: appsettings (not paused) applies again.
        await SendAsync(broker, Service, null);

        await Eventually.TrueAsync(() => handled.Count == 5, Timeout, "the backlog was not handled once the paused state was cleared");
    }

    [Fact]
    public async Task Set_WithOneInvalidValue_IsIgnoredWholeAndLogged()
    {
        using var broker = EmbeddedKafkaBroker.Start();
        broker.CreateTopic("orders", 1);
        broker.CreateTopic(ControlTopic, 1);
        var logs = new LogCapture();
        await using var service = await StartAsync(broker, "ctl-invalid", new DelegateHandler((_, _) => Task.CompletedTask), logs);
        await service.WaitForAssignmentAsync();
        var before = Options(service).Concurrency;

        await SendAsync(broker, Message(null, ("Paused", "true"), ("Concurrency", "0")));
        await SendAsync(broker, Message("main", ("Retry:MaxAttempts", "2")));

        // The second message is read after the first: once it applies, the first was judged.
        await Eventually.TrueAsync(() => Options(service).Retry.MaxAttempts == 2, Timeout, "the valid message after the invalid one was not applied");
        var ignored = Assert.Single(logs.Events, e => e.EventId == 1102);
        Assert.Contains("Concurrency is 0", ignored.Message, StringComparison.Ordinal);
        Assert.False(Options(service).Paused);
        Assert.Equal(before, Options(service).Concurrency);
        Assert.False(service.Status.Paused);
    }

    [Fact]
    public async Task ControlTopic_ForeignUnreadableAndNotLive_ChangesNothing()
    {
        using var broker = EmbeddedKafkaBroker.Start();
        broker.CreateTopic("orders", 1);
        broker.CreateTopic(ControlTopic, 1);
        var logs = new LogCapture();
        await using var service = await StartAsync(broker, "ctl-foreign", new DelegateHandler((_, _) => Task.CompletedTask), logs);
        await service.WaitForAssignmentAsync();

        await SendAsync(broker, "other.service", new ControlMessage("other.service", null, new Dictionary<string, string> { ["Paused"] = "true" }, DateTimeOffset.UtcNow, "test").Encode());
        await SendAsync(broker, Service, [0xff, 0x00, 0x7b]);
        await SendAsync(broker, Service, Encoding.UTF8.GetBytes("""{"tmq":"control","version":1,"service":"tests.kafka.consumer","settings":{"Topic":"elsewhere","Paused":"true"}}"""));
        await SendAsync(broker, Service, Encoding.UTF8.GetBytes("""{"tmq":"control","version":2,"service":"tests.kafka.consumer","settings":{"Paused":"true"}}"""));
        await SendAsync(broker, Message("main", ("Concurrency", "3")));

        await Eventually.TrueAsync(() => Options(service).Concurrency == 3, Timeout, "the valid message after the others was not applied");
        Assert.False(Options(service).Paused);
        var ignored = logs.Events.Where(e => e.EventId == 1102).Select(e => e.Message).ToList();
        Assert.Equal(3, ignored.Count);
        Assert.Contains(ignored, m => m.Contains("not JSON", StringComparison.Ordinal));
        Assert.Contains(ignored, m => m.Contains("\"Topic\" is not a setting that can be changed live", StringComparison.Ordinal));
        Assert.Contains(ignored, m => m.Contains("version 2", StringComparison.Ordinal));
    }

    [Fact]
    public async Task ControlTopic_NamedInSettings_IsTheOneRead()
    {
        using var broker = EmbeddedKafkaBroker.Start();
        broker.CreateTopic("orders", 1);
        broker.CreateTopic("ops.control", 1);
        broker.CreateTopic(ControlTopic, 1);
        await using var service = await TmqKafkaService.StartAsync(
            broker,
            "orders",
            "ctl-named",
            new DelegateHandler((_, _) => Task.CompletedTask),
            new() { ["Tmq:Control:Topic"] = "ops.control", ["Tmq:Control:StartupTimeout"] = "00:00:10" },
            services => services.AddTmqKafkaControl());

        await SendAsync(broker, Message("main", ("Concurrency", "9")));
        var message = Message("main", ("Concurrency", "6"));
        await SendToAsync(broker, "ops.control", message.Key, message.Encode());

        await Eventually.TrueAsync(() => Options(service).Concurrency == 6, Timeout, "the control topic named in Tmq:Control:Topic was not read");
    }

    [Fact]
    public async Task ControlTopic_MissingAtStart_IsReadOnceItExists()
    {
        using var broker = EmbeddedKafkaBroker.Start();
        broker.CreateTopic("orders", 1);
        var logs = new LogCapture();
        await using var service = await StartAsync(broker, "ctl-missing", new DelegateHandler((_, _) => Task.CompletedTask), logs);
        await service.WaitForAssignmentAsync();

        broker.CreateTopic(ControlTopic, 1);
        await SendAsync(broker, Message("main", ("Concurrency", "5")));

        await Eventually.TrueAsync(() => Options(service).Concurrency == 5, Timeout, "a control topic created after start-up was not read");
        Assert.False(logs.Has(2300), "start-up waited for a control topic that did not exist");
    }

    [Fact]
    public async Task ConsumerSettings_OverTheServices_AndClearingFallsBack()
    {
        using var broker = EmbeddedKafkaBroker.Start();
        broker.CreateTopic("orders", 1);
        broker.CreateTopic(ControlTopic, 1);
        await using var service = await StartAsync(broker, "ctl-layers", new DelegateHandler((_, _) => Task.CompletedTask));

        await SendAsync(broker, Message(null, ("Concurrency", "8"), ("Retry:MaxAttempts", "7")));
        await SendAsync(broker, Message("main", ("Concurrency", "3")));
        await Eventually.TrueAsync(() => Options(service).Concurrency == 3, Timeout, "the consumer's own setting did not apply");
        Assert.Equal(7, Options(service).Retry.MaxAttempts);

        // A merge (what an NSQ sender sends) is laid over the address's settings, removing those it unsets.
        await SendAsync(broker, new ControlMessage(Service, null, new Dictionary<string, string> { ["Retry:MaxAttempts"] = "9" }, DateTimeOffset.UtcNow, "tests@host", Merge: true, Unset: ["Concurrency"]));
        await Eventually.TrueAsync(() => Options(service).Retry.MaxAttempts == 9, Timeout, "the merged setting did not apply");
        Assert.Equal(3, Options(service).Concurrency);

        await SendAsync(broker, $"{Service}/main", null);
        await Eventually.TrueAsync(() => Options(service).Concurrency == 32, Timeout, "clearing the consumer's settings did not fall back to the service's, whose Concurrency the merge removed");
        Assert.Equal(9, Options(service).Retry.MaxAttempts);

        await SendAsync(broker, Service, null);
        await Eventually.TrueAsync(() => Options(service).Retry.MaxAttempts == 5, Timeout, "clearing the service's settings did not fall back to appsettings");
        Assert.Equal(32, Options(service).Concurrency);
    }

    private static Task<TmqKafkaService> StartAsync(EmbeddedKafkaBroker broker, string group, IMessageHandler handler, LogCapture? logs = null) =>
        TmqKafkaService.StartAsync(
            broker,
            "orders",
            group,
            handler,
            new() { ["Tmq:Consumers:main:Concurrency"] = "32", ["Tmq:Consumers:main:Retry:MaxAttempts"] = "5" },
            services => services.AddTmqKafkaControl(),
            logs);

    private static KafkaConsumerOptions Options(TmqKafkaService service) =>
        service.Services.GetRequiredService<IOptionsMonitor<KafkaConsumerOptions>>().Get("main");

    private static ControlMessage Message(string? consumer, params (string Name, string Value)[] settings) =>
        new(Service, consumer, settings.ToDictionary(s => s.Name, s => s.Value), DateTimeOffset.UtcNow, "tests@host");

    private static Task SendAsync(EmbeddedKafkaBroker broker, ControlMessage message) => SendToAsync(broker, ControlTopic, message.Key, message.Encode());

    private static Task SendAsync(EmbeddedKafkaBroker broker, string key, byte[]? value) => SendToAsync(broker, ControlTopic, key, value);

    private static async Task SendToAsync(EmbeddedKafkaBroker broker, string topic, string key, byte[]? value)
    {
        using var producer = KafkaTestClients.Producer(broker);
        await producer.ProduceAsync(topic, new Message<byte[]?, byte[]?> { Key = Encoding.UTF8.GetBytes(key), Value = value });
    }
}
