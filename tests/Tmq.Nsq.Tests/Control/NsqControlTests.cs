using System.Collections.Concurrent;
using System.Text;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using Tmq.Control;
using Tmq.Nsq.Control;
using Tmq.Nsq.Tests.Fakes;

namespace Tmq.Nsq.Tests.Control;

/// <summary>
/// Control messages on an NSQ topic steer every running instance of a service; a bad, foreign or
/// unreadable message changes nothing; every message is finished, applied or not. Against the dev
/// nsqd and (with NSQD_PATH and NSQLOOKUPD_PATH) the real daemons.
/// </summary>
public sealed class NsqControlTests
{
    private const string Service = "shop.orders.consumer";
    private const string ControlTopic = "tmq.control";
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);

    public static TheoryData<string> Brokers => TestBroker.Kinds;

    public static TheoryData<string> BrokersWithLookupd => TestBroker.KindsWithLookupd;

    [Theory]
    [MemberData(nameof(Brokers))]
    public async Task Pause_SentToTheService_PausesEveryInstanceAndResumeConsumesTheBacklog(string kind)
    {
        await using var broker = await TestBroker.StartAsync(kind);
        await broker.CreateChannelAsync("orders", Service);
        var handled = new ConcurrentQueue<string>();
        Task Handle(TmqMessage message, CancellationToken _)
        {
            handled.Enqueue(message.ValueAsString());
            return Task.CompletedTask;
        }

        await using var first = await StartAsync(broker, Handle);
        await using var second = await StartAsync(broker, Handle);

        await broker.PublishAsync(ControlTopic, Message(null, ("Paused", "true")).Encode());

        await Eventually.TrueAsync(async () => await PausedAsync(first) && await PausedAsync(second), () => "not every instance's health shows it paused", Timeout);
        Assert.True(Options(first).Paused && Options(second).Paused);
        for (var i = 0; i < 20; i++)
        {
            await broker.PublishAsync("orders", Encoding.UTF8.GetBytes($"m{i}"));
        }

        // The backlog waits in the channel: neither paused instance takes it (RDY 0).
        await EventuallyAsync(broker, "orders", Service, c => c.Depth == 20 && c.InFlight == 0, "the 20 messages waiting in the channel");
        Assert.Empty(handled);

        await broker.PublishAsync(ControlTopic, Message(null, ("Paused", "false")).Encode());

        await Eventually.TrueAsync(() => handled.Count == 20, "the backlog was not handled after resuming", Timeout);
        // Each instance reads the control topic through a channel of its own: one may have taken the
        // whole backlog before the other has read the resume.
        await Eventually.TrueAsync(async () => !(await PausedAsync(first) || await PausedAsync(second)), () => "not every instance's health shows it resumed", Timeout);
        await AllFinishedAsync(broker, first, 2);
        await AllFinishedAsync(broker, second, 2);
    }

    [Theory]
    [MemberData(nameof(Brokers))]
    public async Task Set_WithOneInvalidValue_IsIgnoredWholeAndLogged(string kind)
    {
        await using var broker = await TestBroker.StartAsync(kind);
        await using var host = await StartAsync(broker);
        var before = Options(host).Concurrency;

        // Registered after the consumer, it starts before it: the host starts hosted services in this order.
        Assert.IsType<NsqControlListener>(host.Services.GetServices<IHostedService>().First());

        await broker.PublishAsync(ControlTopic, Message(null, ("Paused", "true"), ("Concurrency", "0")).Encode());
        await broker.PublishAsync(ControlTopic, Message("main", ("Retry:MaxAttempts", "2")).Encode());

        // The second message is applied after the first: once it applies, the first was judged.
        await Eventually.TrueAsync(() => Options(host).Retry.MaxAttempts == 2, "the valid message after the invalid one was not applied", Timeout);
        var ignored = Assert.Single(Lines(host, 1102));
        Assert.Contains("Concurrency is 0", ignored, StringComparison.Ordinal);
        Assert.Contains($"nsqd {broker.TcpAddress} {ControlTopic} id ", ignored, StringComparison.Ordinal);
        Assert.False(Options(host).Paused);
        Assert.Equal(before, Options(host).Concurrency);
        Assert.False(await PausedAsync(host));
        await AllFinishedAsync(broker, host, 2);
    }

    [Theory]
    [MemberData(nameof(Brokers))]
    public async Task ControlTopic_ForeignUnreadableAndNotLive_ChangesNothing(string kind)
    {
        await using var broker = await TestBroker.StartAsync(kind);
        await using var host = await StartAsync(broker);

        await broker.PublishAsync(ControlTopic, new ControlMessage("other.service", null, new Dictionary<string, string> { ["Paused"] = "true" }, DateTimeOffset.UtcNow, "test").Encode());
        await broker.PublishAsync(ControlTopic, [0xff, 0x00, 0x7b]);
        await broker.PublishAsync(ControlTopic, Encoding.UTF8.GetBytes("""{"tmq":"control","version":1,"service":"shop.orders.consumer","settings":{"Topic":"elsewhere","Paused":"true"}}"""));
        await broker.PublishAsync(ControlTopic, Encoding.UTF8.GetBytes("""{"tmq":"control","version":2,"service":"shop.orders.consumer","settings":{"Paused":"true"}}"""));
        await broker.PublishAsync(ControlTopic, Message("main", ("Concurrency", "3")).Encode());

        await Eventually.TrueAsync(() => Options(host).Concurrency == 3, "the valid message after the others was not applied", Timeout);
        Assert.False(Options(host).Paused);
        Assert.False(await PausedAsync(host));
        Assert.Single(Lines(host, 1103));
        var ignored = Lines(host, 1102);
        Assert.Equal(3, ignored.Count);
        Assert.Contains(ignored, m => m.Contains("not JSON", StringComparison.Ordinal));
        Assert.Contains(ignored, m => m.Contains("\"Topic\" is not a setting that can be changed live", StringComparison.Ordinal));
        Assert.Contains(ignored, m => m.Contains("version 2", StringComparison.Ordinal));
        await AllFinishedAsync(broker, host, 5);
    }

    [Theory]
    [MemberData(nameof(Brokers))]
    public async Task ConsumerSettings_OverTheServices_AndEmptySettingsFallBack(string kind)
    {
        await using var broker = await TestBroker.StartAsync(kind);
        await using var host = await StartAsync(broker);

        await broker.PublishAsync(ControlTopic, Message(null, ("Concurrency", "8"), ("Retry:MaxAttempts", "7")).Encode());
        await broker.PublishAsync(ControlTopic, Message("main", ("Concurrency", "3")).Encode());
        await Eventually.TrueAsync(() => Options(host).Concurrency == 3, "the consumer's own setting did not apply", Timeout);
        Assert.Equal(7, Options(host).Retry.MaxAttempts);

        // NSQ has no tombstones: a message with no settings clears its address.
        await broker.PublishAsync(ControlTopic, Message("main").Encode());
        await Eventually.TrueAsync(() => Options(host).Concurrency == 8, "clearing the consumer's settings did not fall back to the service's", Timeout);

        await broker.PublishAsync(ControlTopic, Message(null).Encode());
        await Eventually.TrueAsync(() => Options(host).Concurrency == 32, "clearing the service's settings did not fall back to appsettings", Timeout);
        Assert.Equal(5, Options(host).Retry.MaxAttempts);
        await AllFinishedAsync(broker, host, 4);
    }

    [Theory]
    [MemberData(nameof(BrokersWithLookupd))]
    public async Task Lookupd_ControlTopicOnNoNsqdYet_IsSubscribedThroughNodesAndApplied(string kind)
    {
        await using var broker = await TestBroker.StartAsync(kind);
        Assert.False(await broker.HasTopicAsync(ControlTopic));

        // No Tmq:Control:Nsq: the reader borrows the consumer's lookupd (and its poll interval); null removes the fixed nsqd.
        await using var host = await StartAsync(broker, settings: new()
        {
            ["Consumers:main:Nsq:Nsqd:0"] = null,
            ["Consumers:main:Nsq:Lookupd:0"] = broker.LookupdHttpAddress!.ToString(),
            ["Consumers:main:Nsq:LookupdPollInterval"] = "00:00:01",
        });

        // A real nsqd registers with nsqlookupd a moment after it starts: /nodes may list it only at a later poll.
        var channel = Listener(host).Channel!;
        Assert.StartsWith(Service + "-", channel, StringComparison.Ordinal);
        await EventuallyAsync(broker, ControlTopic, channel, c => c.Clients == 1, "the instance subscribed on the nsqd lookupd lists");
        await broker.PublishAsync(ControlTopic, Message("main", ("Concurrency", "4")).Encode());

        await Eventually.TrueAsync(() => Options(host).Concurrency == 4, "the message published after start-up was not applied", Timeout);
        await AllFinishedAsync(broker, host, 1);
    }

    [Fact]
    public async Task Start_ControlSettingsBesideAConsumer_AreAccepted()
    {
        await using var broker = await TestBroker.StartAsync("dev");

        await using var host = await StartAsync(broker, settings: new() { ["Control:Topic"] = "ops.control", ["Control:Nsq:Nsqd:0"] = broker.TcpAddress });

        Assert.NotNull(await broker.ChannelAsync("ops.control", Listener(host).Channel!));
    }

    private static Task<NsqTestHost> StartAsync(TestBroker broker, Func<TmqMessage, CancellationToken, Task>? handle = null, Dictionary<string, string?>? settings = null)
    {
        var all = new Dictionary<string, string?>
        {
            ["Consumers:main:Nsq:Nsqd:0"] = broker.TcpAddress,
            ["Consumers:main:Concurrency"] = "32",
            ["Consumers:main:Retry:MaxAttempts"] = "5",
        };
        foreach (var (key, value) in settings ?? [])
        {
            if (value is null)
            {
                all.Remove(key);
            }
            else
            {
                all[key] = value;
            }
        }

        return NsqTestHost.StartAsync(all, handle ?? (static (_, _) => Task.CompletedTask), configure: static services => services.AddTmqNsqControl());
    }

    private static NsqConsumerOptions Options(NsqTestHost host) =>
        host.Services.GetRequiredService<IOptionsMonitor<NsqConsumerOptions>>().Get("main");

    /// <summary>What the consumer's health check says: paused or not.</summary>
    private static async Task<bool> PausedAsync(NsqTestHost host) =>
        (await host.Services.GetRequiredService<HealthCheckService>().CheckHealthAsync()).Entries["tmq-consumer-main"].Data["paused"] is true;

    private static NsqControlListener Listener(NsqTestHost host) => host.Services.GetServices<IHostedService>().OfType<NsqControlListener>().Single();

    private static List<string> Lines(NsqTestHost host, int eventId) => [.. host.Logs.Lines.Where(l => l.Split(' ')[1] == eventId.ToString(System.Globalization.CultureInfo.InvariantCulture))];

    private static ControlMessage Message(string? consumer, params (string Name, string Value)[] settings) =>
        new(Service, consumer, settings.ToDictionary(s => s.Name, s => s.Value), DateTimeOffset.UtcNow, "tests@host");

    /// <summary>The instance's control channel got <paramref name="messages"/> and finished each: none in flight, none requeued.</summary>
    private static Task AllFinishedAsync(TestBroker broker, NsqTestHost host, long messages) =>
        EventuallyAsync(broker, ControlTopic, Listener(host).Channel!, c => c.Messages == messages && c.InFlight == 0 && c.Requeued == 0 && c.Depth == 0, $"{messages} control messages finished");

    private static async Task EventuallyAsync(TestBroker broker, string topic, string channel, Func<ChannelCounts, bool> condition, string because)
    {
        ChannelCounts? last = null;
        await Eventually.TrueAsync(
            async () => (last = await broker.ChannelAsync(topic, channel)) is { } counts && condition(counts),
            () => $"{because} on {broker}; last seen {last?.ToString() ?? "no channel"}",
            Timeout);
    }
}
