using System.Collections.Concurrent;
using System.Text;
using Microsoft.Extensions.DependencyInjection;
using Tmq.Control;
using Tmq.Nsq.Protocol;
using Tmq.Nsq.Tests.Fakes;

namespace Tmq.Nsq.Tests.Control;

/// <summary>
/// Every instance with NSQ control reports what it consumes and how it is doing to the status
/// topic, and says when it stops. Against the dev nsqd and (with NSQD_PATH and NSQLOOKUPD_PATH) the
/// real daemons.
/// </summary>
public sealed class NsqStatusTests
{
    private const string StatusTopic = NsqControlOptions.DefaultStatusTopic;
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);

    public static TheoryData<string> Brokers => TestBroker.Kinds;

    public static TheoryData<string> BrokersWithLookupd => TestBroker.KindsWithLookupd;

    [Theory]
    [MemberData(nameof(BrokersWithLookupd))]
    public async Task Status_RunningInstanceThroughLookupd_ReportsItsConsumerOutcomesDepthAndOwnerThenStopping(string kind)
    {
        await using var broker = await TestBroker.StartAsync(kind);
        await broker.CreateChannelAsync("orders", "status-ch");
        await using var reader = await StatusReader.StartAsync(broker);
        var handled = new ConcurrentQueue<string>();

        // Through lookupd, as the consumer: lookupd gives the nsqd's HTTP port, so its depth is read.
        await using var host = await NsqTestHost.StartAsync(
            new Dictionary<string, string?>
            {
                ["Consumers:main:Channel"] = "status-ch",
                ["Consumers:main:Nsq:Lookupd:0"] = broker.LookupdHttpAddress!.ToString(),
                ["Consumers:main:Nsq:LookupdPollInterval"] = "00:00:01",
                ["Consumers:main:Nsq:DepthPollInterval"] = "00:00:01",
                ["Control:StatusInterval"] = "00:00:01",
                ["Owner:Name"] = "orders-team",
                ["Owner:AlertReceivers:0"] = "pagerduty:orders",
            },
            (message, _) =>
            {
                handled.Enqueue(message.ValueAsString());
                return Task.CompletedTask;
            },
            configure: static services => services.AddTmqNsqControl());
        for (var i = 0; i < 5; i++)
        {
            await broker.PublishAsync("orders", Encoding.UTF8.GetBytes($"m{i}"));
        }

        await Eventually.TrueAsync(() => handled.Count == 5, "the 5 messages were not handled", Timeout);
        var report = await reader.NextAsync(
            r => r.Consumers is [{ } c] && c.Outcomes.GetValueOrDefault("success") == 5 && c.Depth.Count > 0,
            "no report showed the 5 successes and the channel's depth");

        Assert.Equal("shop.orders.consumer", report.Service);
        Assert.StartsWith($"{Environment.MachineName}/{Environment.ProcessId}/", report.Instance, StringComparison.Ordinal);
        Assert.Equal("orders-team", report.Owner);
        Assert.Equal(["pagerduty:orders"], report.AlertReceivers);
        Assert.Equal(TimeSpan.FromSeconds(1), report.Interval);
        Assert.False(report.Stopping);
        var consumer = Assert.Single(report.Consumers);
        Assert.Equal(("main", "nsq", "orders", "status-ch"), (consumer.Name, consumer.System, consumer.Topic, consumer.Group));
        Assert.True(consumer.Running);
        Assert.Equal([$"127.0.0.1:{broker.TcpEndPoint.Port}"], consumer.Depth.Keys);
        Assert.Equal("orders.dlq", consumer.DeadLetterTopic);
        Assert.Equal(0, consumer.Outcomes["dead_letter"]);

        await host.StopAsync();
        var last = await reader.NextAsync(static r => r.Stopping, "no report said the instance was stopping");
        Assert.Equal(report.Instance, last.Instance);
        Assert.Equal(5, last.Consumers.Single().Outcomes["success"]);
    }

    [Theory]
    [MemberData(nameof(Brokers))]
    public async Task Status_NsqdDownThenBack_DropsReportsWarnsThenPublishesAgain(string kind)
    {
        await using var broker = await TestBroker.StartAsync(kind);
        await using var host = await NsqTestHost.StartAsync(
            new Dictionary<string, string?> { ["Consumers:main:Nsq:Nsqd:0"] = broker.TcpAddress, ["Control:StatusInterval"] = "00:00:01" },
            static (_, _) => Task.CompletedTask,
            configure: static services => services.AddTmqNsqControl());
        await Eventually.TrueAsync(() => broker.HasTopicAsync(StatusTopic), () => "no report was published", Timeout);

        await broker.StopAsync();

        await Eventually.TrueAsync(() => Lines(host, 3311).Count > 0, "no warning said a report was dropped", Timeout);
        var dropped = Lines(host, 3311)[0];
        Assert.Contains($"a report to {StatusTopic} was not published", dropped, StringComparison.Ordinal);
        Assert.Contains(broker.TcpAddress, dropped, StringComparison.Ordinal);

        await broker.StartAgainAsync();
        await using var reader = await StatusReader.StartAsync(broker);

        await reader.NextAsync(static r => !r.Stopping, "no report arrived once nsqd was back");
        await Eventually.TrueAsync(() => Lines(host, 3312).Count == 1, "no line said reports are published again", Timeout);
        Assert.Single(Lines(host, 3311));
    }

    [Fact]
    public async Task Status_IntervalZero_PublishesNothing()
    {
        await using var broker = await TestBroker.StartAsync("dev");
        await using var host = await NsqTestHost.StartAsync(
            new Dictionary<string, string?> { ["Consumers:main:Nsq:Nsqd:0"] = broker.TcpAddress, ["Control:StatusInterval"] = "00:00:00" },
            static (_, _) => Task.CompletedTask,
            configure: static services => services.AddTmqNsqControl());

        // Publishing would have sent one report at start and one more before stopping returned.
        await host.StopAsync();

        Assert.False(await broker.HasTopicAsync(StatusTopic));
        Assert.Empty(Lines(host, 3310));
    }

    private static List<string> Lines(NsqTestHost host, int eventId) => [.. host.Logs.Lines.Where(l => l.Split(' ')[1] == eventId.ToString(System.Globalization.CultureInfo.InvariantCulture))];

    /// <summary>A plain NSQ subscriber on the status topic, as tmqtool would be: it finishes every report and decodes it.</summary>
    private sealed class StatusReader(RawNsqClient client) : IAsyncDisposable
    {
        public static async Task<StatusReader> StartAsync(TestBroker broker)
        {
            var client = await RawNsqClient.ConnectAsync(broker.TcpEndPoint);
            await client.SubscribeAsync(StatusTopic, "reader", ready: 100);
            return new StatusReader(client);
        }

        /// <summary>The next report (in the order nsqd sent them) that is <paramref name="wanted"/>.</summary>
        public async Task<InstanceStatus> NextAsync(Func<InstanceStatus, bool> wanted, string because)
        {
            var deadline = DateTime.UtcNow + Timeout;
            while (DateTime.UtcNow < deadline)
            {
                var frame = await client.ReadFrameAsync(Timeout) ?? throw new InvalidOperationException("nsqd closed the status reader's connection.");
                if (frame.IsHeartbeat)
                {
                    await client.SendAsync(Command.Nop);
                    continue;
                }

                Assert.True(frame.Type == FrameType.Message, $"Expected a message, got {frame.Type} \"{frame.Text}\".");
                var message = NsqMessageFrame.Parse(frame.Data);
                var id = message.Id.ToArray();
                await client.SendAsync(o => Command.Fin(o, id));
                Assert.True(InstanceStatus.TryDecode(message.Body.Span, out var status, out var error), error);
                if (wanted(status!))
                {
                    return status!;
                }
            }

            throw new TimeoutException(because);
        }

        public ValueTask DisposeAsync() => client.DisposeAsync();
    }
}
