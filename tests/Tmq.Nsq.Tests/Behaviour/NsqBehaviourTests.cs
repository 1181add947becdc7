using System.Collections.Concurrent;
using System.Text;
using Tmq.Nsq.Envelope;
using Tmq.Nsq.Tests.Fakes;

namespace Tmq.Nsq.Tests.Behaviour;

/// <summary>
/// What a service sees, end to end, against the dev nsqd and (with NSQD_PATH) a real nsqd: the same
/// test, observed through nsqd's own /stats.
/// </summary>
public sealed class NsqBehaviourTests
{
    private const string Channel = "shop.orders.consumer";

    public static TheoryData<string> Brokers => TestBroker.Kinds;

    public static TheoryData<string> BrokersWithLookupd => TestBroker.KindsWithLookupd;

    [RealNsqdFact]
    public void RealNsqd_IsConfigured() => Assert.NotNull(RealNsqd.NsqdPath);

    [Theory]
    [MemberData(nameof(Brokers))]
    public async Task Consume_KeyedMessagesFromTheProducer_AllHandledInOrderPerKeyAndFinished(string kind)
    {
        await using var broker = await TestBroker.StartAsync(kind);
        var handled = new ConcurrentQueue<(string Key, int Sequence)>();
        var settings = Settings(broker);
        settings["Producer:Nsqd:0"] = broker.TcpAddress;
        settings["Producer:Envelope"] = "true";
        settings["Consumers:main:Concurrency"] = "8";
        await using var host = await NsqTestHost.StartAsync(settings, async (message, _) =>
        {
            handled.Enqueue((message.KeyAsString(), int.Parse(message.ValueAsString(), System.Globalization.CultureInfo.InvariantCulture)));
            await Task.Yield();
        }, producer: true);
        var producer = (ITmqProducer)host.Services.GetService(typeof(ITmqProducer))!;

        for (var i = 0; i < 300; i++)
        {
            await producer.SendAsync("orders", $"k{i % 10}", i.ToString(System.Globalization.CultureInfo.InvariantCulture));
        }

        await Eventually.TrueAsync(() => handled.Count >= 300, $"300 messages handled on {kind}");
        foreach (var key in handled.GroupBy(static h => h.Key))
        {
            Assert.Equal(key.Select(static h => h.Sequence).Order(), key.Select(static h => h.Sequence));
        }

        await EventuallyChannel(broker, c => c.Depth == 0 && c.InFlight == 0 && c.Messages == 300, "every message FINed");
    }

    [Theory]
    [MemberData(nameof(Brokers))]
    public async Task Failure_PlainMessage_IsRequeuedAndNsqdCountsTheAttempts(string kind)
    {
        await using var broker = await TestBroker.StartAsync(kind);
        await broker.CreateChannelAsync("orders", Channel);
        await broker.PublishAsync("orders", "plain body"u8.ToArray());
        var attempts = new ConcurrentQueue<int>();
        var settings = Settings(broker);
        settings["Consumers:main:Retry:InitialDelay"] = "00:00:00.050";
        await using var host = await NsqTestHost.StartAsync(settings, (message, _) =>
        {
            attempts.Enqueue(message.Attempt);
            return message.Attempt < 3 ? throw new InvalidOperationException("not yet") : Task.CompletedTask;
        });

        await Eventually.TrueAsync(() => attempts.Count == 3, "three deliveries");
        await EventuallyChannel(broker, c => c.Requeued == 2 && c.Depth == 0 && c.InFlight == 0, "two REQs, then a FIN");
        Assert.Equal([1, 2, 3], attempts);
    }

    [Theory]
    [MemberData(nameof(Brokers))]
    public async Task Poison_AfterMaxAttempts_IsDeadLetteredAsAnEnvelopeAndFinished(string kind)
    {
        await using var broker = await TestBroker.StartAsync(kind);
        await broker.CreateChannelAsync("orders", Channel);
        await broker.CreateChannelAsync("orders.dlq", "inspect");
        await broker.PublishAsync("orders", TmqEnvelope.Wrap("order-9"u8, new TmqHeaders().Add("trace", "t1"), "poison"u8));
        var settings = Settings(broker);
        settings["Consumers:main:Retry:MaxAttempts"] = "2";
        settings["Consumers:main:Retry:InitialDelay"] = "00:00:00.010";
        await using var host = await NsqTestHost.StartAsync(settings, static (_, _) => throw new FormatException("cannot read it"));

        await EventuallyChannel(broker, c => c.Depth == 0 && c.InFlight == 0 && c.Messages == 1, "the original FINed");
        var deadLetters = await broker.ChannelAsync("orders.dlq", "inspect");
        Assert.Equal(1, deadLetters!.Depth);

        await using var reader = await NsqTestHost.StartAsync(
            new Dictionary<string, string?> { ["Consumers:main:Topic"] = "orders.dlq", ["Consumers:main:Channel"] = "inspect", ["Consumers:main:Nsq:Nsqd:0"] = broker.TcpAddress },
            async (message, _) => { Received.TrySetResult(message); await Task.CompletedTask; });
        var letter = await Received.Task.Within();
        Assert.Equal("order-9", letter.KeyAsString());
        Assert.Equal("poison", letter.ValueAsString());
        Assert.Equal("t1", letter.Headers.GetString("trace"));
        Assert.Equal("orders", letter.Headers.GetString(DeadLetterHeaders.OriginalTopic));
        Assert.Equal("2", letter.Headers.GetString(DeadLetterHeaders.Attempts));
        Assert.Equal(typeof(FormatException).FullName, letter.Headers.GetString(DeadLetterHeaders.ExceptionType));
    }

    [Theory]
    [MemberData(nameof(Brokers))]
    public async Task Shutdown_BufferedMessagesGoBackToNsqdAtOnce(string kind)
    {
        await using var broker = await TestBroker.StartAsync(kind);
        await broker.CreateChannelAsync("orders", Channel);
        for (var i = 0; i < 5; i++)
        {
            await broker.PublishAsync("orders", Encoding.UTF8.GetBytes($"m{i}"));
        }

        var started = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var settings = Settings(broker);
        settings["Consumers:main:Concurrency"] = "1";
        var host = await NsqTestHost.StartAsync(settings, async (_, _) =>
        {
            started.TrySetResult();
            await release.Task;
        });
        await using (host)
        {
            await started.Task.Within();
            await EventuallyChannel(broker, c => c.InFlight == 5, "all five in flight to the consumer");

            var stopping = host.StopAsync();

            // Four were buffered behind the running one: back in the channel before it finishes.
            await EventuallyChannel(broker, c => c.Depth == 4 && c.InFlight == 1, "the four unstarted messages requeued at once");
            release.SetResult();
            await stopping.Within();
            await EventuallyChannel(broker, c => c.Depth == 4 && c.InFlight == 0 && c.Clients == 0, "the running one FINed and the connection closed");
        }
    }

    [Theory]
    [MemberData(nameof(Brokers))]
    public async Task Restart_NsqdStoppedAndStartedAgain_ConsumerReconnectsAndReadsOn(string kind)
    {
        await using var broker = await TestBroker.StartAsync(kind);
        var handled = new ConcurrentQueue<string>();
        await using var host = await NsqTestHost.StartAsync(Settings(broker), (message, _) =>
        {
            handled.Enqueue(message.ValueAsString());
            return Task.CompletedTask;
        });
        await broker.PublishAsync("orders", "before"u8.ToArray());
        await Eventually.TrueAsync(() => handled.Contains("before"), "handled before the restart");

        await broker.StopAsync();
        await Eventually.TrueAsync(() => host.Logs.Contains("connection to nsqd"), "the consumer noticed nsqd going");
        await broker.StartAgainAsync();
        await EventuallyChannel(broker, c => c.Clients == 1, "the consumer subscribed again");
        await broker.PublishAsync("orders", "after"u8.ToArray());

        await Eventually.TrueAsync(() => handled.Contains("after"), "handled after the restart");
    }

    [Theory]
    [MemberData(nameof(BrokersWithLookupd))]
    public async Task Discover_ThroughLookupd_FindsTheNsqdThatHasTheTopic(string kind)
    {
        await using var broker = await TestBroker.StartAsync(kind);
        await broker.CreateChannelAsync("orders", Channel);
        await broker.PublishAsync("orders", "found"u8.ToArray());
        await Eventually.TrueAsync(() => LookupFinds(broker), () => "lookupd lists the nsqd");
        var handled = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);

        await using var host = await NsqTestHost.StartAsync(
            new Dictionary<string, string?> { ["Consumers:main:Nsq:Lookupd:0"] = broker.LookupdHttpAddress!.ToString() },
            (message, _) => { handled.TrySetResult(message.ValueAsString()); return Task.CompletedTask; });

        Assert.Equal("found", await handled.Task.Within());
    }

    [Theory]
    [MemberData(nameof(Brokers))]
    public async Task Compression_SnappyAndDeflate_CarryMessagesBothWays(string kind)
    {
        foreach (var compression in new[] { "Snappy", "Deflate" })
        {
            await using var broker = await TestBroker.StartAsync(kind);
            var handled = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);
            var settings = Settings(broker);
            settings[$"Consumers:main:Nsq:{compression}"] = "true";
            settings["Producer:Nsqd:0"] = broker.TcpAddress;
            settings[$"Producer:{compression}"] = "true";
            await using var host = await NsqTestHost.StartAsync(settings, (message, _) =>
            {
                handled.TrySetResult(message.ValueAsString());
                return Task.CompletedTask;
            }, producer: true);
            var producer = (ITmqProducer)host.Services.GetService(typeof(ITmqProducer))!;

            await producer.SendAsync("orders", null, new string('x', 5000) + compression);

            Assert.EndsWith(compression, await handled.Task.Within(), StringComparison.Ordinal);
            Assert.Contains(host.Logs.Lines, l => l.Contains("connected to nsqd", StringComparison.Ordinal));
        }
    }

    [Theory]
    [MemberData(nameof(Brokers))]
    public async Task Producer_HttpMode_PublishesThroughNsqdsHttpApi(string kind)
    {
        await using var broker = await TestBroker.StartAsync(kind);
        await broker.CreateChannelAsync("orders", Channel);
        await using var producer = new NsqProducer(new NsqProducerOptions { Mode = NsqPublishMode.Http, Http = [broker.HttpAddress.ToString()] }, "test", null, null);

        await producer.SendAsync("orders", null, "one");
        await producer.PublishAsync("orders", ["two"u8.ToArray(), "three"u8.ToArray()]);
        await producer.PublishAsync("orders", "later"u8.ToArray(), TimeSpan.FromMilliseconds(200));

        await EventuallyChannel(broker, c => c.Depth == 4, "three published now and one deferred");
    }

    [Theory]
    [MemberData(nameof(Brokers))]
    public async Task Producer_FirstNsqdStops_SendsFailOverToTheSecondAndNoneIsLost(string kind)
    {
        await using var first = await TestBroker.StartAsync(kind);
        await using var second = await TestBroker.StartAsync(kind);
        await first.CreateChannelAsync("orders", Channel);
        await second.CreateChannelAsync("orders", Channel);
        var options = new NsqProducerOptions { Nsqd = [first.TcpAddress, second.TcpAddress], PublishTimeout = TimeSpan.FromSeconds(2) };
        await using var producer = new NsqProducer(options, "test", null, null);
        for (var i = 0; i < 10; i++)
        {
            await producer.SendAsync("orders", null, $"a{i}");
        }

        await first.StopAsync();
        for (var i = 0; i < 10; i++)
        {
            await producer.SendAsync("orders", null, $"b{i}");
        }

        var onSecond = await second.ChannelAsync("orders", Channel);
        Assert.Equal(10, onSecond!.Depth);
        if (kind == "real")
        {
            // A real nsqd keeps what it had: nothing sent before the stop is lost either.
            await first.StartAgainAsync();
            await EventuallyChannel(first, c => c.Depth == 10, "the first nsqd's messages survived its restart");
        }
    }

    private readonly TaskCompletionSource<TmqMessage> Received = new(TaskCreationOptions.RunContinuationsAsynchronously);

    private static async Task<bool> LookupFinds(TestBroker broker)
    {
        using var http = new HttpClient();
        var response = await http.GetAsync(new Uri(broker.LookupdHttpAddress!, "lookup?topic=orders"));
        return response.IsSuccessStatusCode && (await response.Content.ReadAsStringAsync()).Contains($"\"tcp_port\":{broker.TcpEndPoint.Port}", StringComparison.Ordinal);
    }

    private static async Task EventuallyChannel(TestBroker broker, Func<ChannelCounts, bool> condition, string because)
    {
        ChannelCounts? last = null;
        await Eventually.TrueAsync(
            async () => (last = await broker.ChannelAsync("orders", Channel)) is { } counts && condition(counts),
            () => $"{broker}: {because}; the channel is {last?.ToString() ?? "missing"}");
    }

    private static Dictionary<string, string?> Settings(TestBroker broker) => new()
    {
        ["Consumers:main:Nsq:Nsqd:0"] = broker.TcpAddress,
    };
}
