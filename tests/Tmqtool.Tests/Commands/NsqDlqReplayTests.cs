using Tmq;
using Tmq.Nsq.Envelope;
using Tmq.Nsq.Tests.Fakes;
using Tmqtool.Tests.Fakes;
using Tmqtool.Tests.Support;

namespace Tmqtool.Tests.Commands;

/// <summary>
/// <c>dlq replay</c> on NSQ, against the dev nsqd and (when NSQD_PATH and NSQLOOKUPD_PATH are set)
/// the real one: dead letters go back to the topic they failed on as they were sent, and leave the
/// dead-letter channel only once they are there.
/// </summary>
public sealed class NsqDlqReplayTests
{
    /// <summary>A channel on the original topics, standing in for the service that consumes them.</summary>
    private const string Check = "check";

    [Theory]
    [InlineData("dev")]
    [RealNsqdData]
    public async Task Replay_DryRun_ListsTheDeadLettersAndSendsNothing(string kind)
    {
        await using var broker = await StartAsync(kind);
        await DeadLetterAsync(broker, count: 2);

        var result = await NsqCli.RunAsync("dlq", "replay", "--nsqd", broker.Nsqd(), "--topic", "orders.dlq", "--dry-run");

        Assert.True(result.ExitCode == ExitCodes.Success, result.ToString());
        Assert.Contains("-> orders key=order-1 value={\"id\":1}", result.Output, StringComparison.Ordinal);
        Assert.Contains("-> orders key=order-2 value={\"id\":2}", result.Output, StringComparison.Ordinal);
        Assert.Contains("would replay 2 message(s) from orders.dlq to orders (2).", result.Output, StringComparison.Ordinal);
        Assert.Equal(0, (await broker.ChannelAsync("orders", Check))?.Messages);
        Assert.Contains("channel=tmqtool-replay depth=2 in_flight=0", await LagAsync(broker), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Replay_DryRunOverMoreThanNsqdLetsAClientHold_ListsUpToThereAndPutsEverythingBack()
    {
        await using var broker = await StartAsync("dev");
        await DeadLetterAsync(broker, count: 2_600);

        var result = await NsqCli.RunAsync("dlq", "replay", "--nsqd", broker.Nsqd(), "--topic", "orders.dlq", "--dry-run");

        // nsqd refuses an RDY above its max_rdy_count (2,500) and ends the connection: the dry run stops short of it.
        Assert.True(result.ExitCode == ExitCodes.UnexpectedFailure, result.ToString());
        Assert.Contains("the most messages nsqd lets one client hold at once (2500, its max RDY): the dry run listed the messages up to there", result.Error, StringComparison.Ordinal);
        Assert.Contains("would replay 2500 message(s) from orders.dlq to orders (2500).", result.Output, StringComparison.Ordinal);
        Assert.DoesNotContain("RDY", result.Output, StringComparison.Ordinal);
        Assert.Contains("channel=tmqtool-replay depth=2600 in_flight=0", await LagAsync(broker), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("dev")]
    [RealNsqdData]
    public async Task Replay_DeadLetters_RepublishesThemAsSentAndEmptiesTheChannel(string kind)
    {
        await using var broker = await StartAsync(kind);
        await DeadLetterAsync(broker, count: 2);

        var replay = await NsqCli.RunAsync("dlq", "replay", "--nsqd", broker.Nsqd(), "--topic", "orders.dlq");
        var replayed = await NsqCli.RunAsync("tail", "--nsqd", broker.Nsqd(), "--topic", "orders", "--channel", Check, "--count", "2", "--timeout", "20");
        var lag = await LagAsync(broker);
        var again = await NsqCli.RunAsync("dlq", "replay", "--nsqd", broker.Nsqd(), "--topic", "orders.dlq");

        Assert.True(replay.ExitCode == ExitCodes.Success, replay.ToString());
        Assert.Contains("replayed 2 message(s) from orders.dlq to orders (2).", replay.Output, StringComparison.Ordinal);
        Assert.True(replayed.ExitCode == ExitCodes.Success, replayed.ToString());
        foreach (var n in new[] { 1, 2 })
        {
            Assert.Contains($" key=order-{n} ", replayed.Output, StringComparison.Ordinal);
            Assert.Contains($"  header trace=t-{n}\n  value={{\"id\":{n}}}", replayed.Output, StringComparison.Ordinal);
        }

        Assert.DoesNotContain("tmq-dlq-", replayed.Output, StringComparison.Ordinal);
        Assert.Contains("channel=tmqtool-replay depth=0 in_flight=0", lag, StringComparison.Ordinal);
        Assert.True(again.ExitCode == ExitCodes.Success, again.ToString());
        Assert.Contains("replayed 0 message(s) from orders.dlq.", again.Output, StringComparison.Ordinal);
        Assert.Equal(2, (await broker.ChannelAsync("orders", Check))?.Messages);
    }

    [Theory]
    [InlineData("dev")]
    [RealNsqdData]
    public async Task Replay_BodyWithoutKeyOrHeaders_IsRepublishedAsTheBodyAlone(string kind)
    {
        await using var broker = await StartAsync(kind);
        var headers = new TmqHeaders();
        headers.Add("tmq-dlq-original-topic", "orders");
        await broker.PublishAsync("orders.dlq", TmqEnvelope.Wrap(default, headers, "plain"u8));

        var replay = await NsqCli.RunAsync("dlq", "replay", "--nsqd", broker.Nsqd(), "--topic", "orders.dlq");
        var replayed = await NsqCli.RunAsync("tail", "--nsqd", broker.Nsqd(), "--topic", "orders", "--channel", Check, "--count", "1", "--timeout", "20");

        Assert.True(replay.ExitCode == ExitCodes.Success, replay.ToString());
        Assert.True(replayed.ExitCode == ExitCodes.Success, replayed.ToString());
        Assert.DoesNotContain(" key=", replayed.Output, StringComparison.Ordinal);
        Assert.EndsWith("\n  value=plain\n", replayed.Output, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("dev")]
    [RealNsqdData]
    public async Task Replay_MessageWithoutOriginalTopic_FailsAndLeavesItInTheChannel(string kind)
    {
        await using var broker = await StartAsync(kind);
        await broker.PublishAsync("orders.dlq", "not a tmq dead letter"u8.ToArray());

        var result = await NsqCli.RunAsync("dlq", "replay", "--nsqd", broker.Nsqd(), "--topic", "orders.dlq");

        Assert.True(result.ExitCode == ExitCodes.UnexpectedFailure, result.ToString());
        Assert.Contains("has no tmq-dlq-original-topic header", result.Error, StringComparison.Ordinal);
        Assert.Contains("pass --to to choose its topic", result.Error, StringComparison.Ordinal);
        Assert.Contains("it stays in channel tmqtool-replay", result.Error, StringComparison.Ordinal);
        Assert.Contains("channel=tmqtool-replay depth=1 in_flight=0", await LagAsync(broker), StringComparison.Ordinal);
        Assert.Equal(0, (await broker.ChannelAsync("orders", Check))?.Messages);
    }

    [Theory]
    [InlineData("dev")]
    [RealNsqdData]
    public async Task Replay_To_SendsEveryDeadLetterThere(string kind)
    {
        await using var broker = await StartAsync(kind);
        await broker.CreateChannelAsync("orders.retry", Check);
        await DeadLetterAsync(broker, count: 1);
        await broker.PublishAsync("orders.dlq", "not a tmq dead letter"u8.ToArray());

        var result = await NsqCli.RunAsync("dlq", "replay", "--nsqd", broker.Nsqd(), "--topic", "orders.dlq", "--to", "orders.retry");

        Assert.True(result.ExitCode == ExitCodes.Success, result.ToString());
        Assert.Contains("replayed 2 message(s) from orders.dlq to orders.retry (2).", result.Output, StringComparison.Ordinal);
        Assert.Equal(2, (await broker.ChannelAsync("orders.retry", Check))?.Depth);
        Assert.Equal(0, (await broker.ChannelAsync("orders", Check))?.Messages);
        Assert.Contains("channel=tmqtool-replay depth=0 in_flight=0", await LagAsync(broker), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("dev")]
    [RealNsqdData]
    public async Task Replay_DeadLetteredWhileItRuns_IsLeftForTheNextRun(string kind)
    {
        await using var broker = await StartAsync(kind);
        await DeadLetterAsync(broker, count: 1);
        using var replay = BackgroundCli.Start("dlq", "replay", "--nsqd", broker.Nsqd(), "--topic", "orders.dlq");

        await replay.OutputLineAsync("orders.dlq: replaying");
        await NsqCli.RunAsync("produce", "--nsqd", broker.Nsqd(), "--topic", "orders.dlq", "--key", "order-late", "--header", "tmq-dlq-original-topic=orders", "--value", "late");
        var first = await replay.EndAsync();
        var second = await NsqCli.RunAsync("dlq", "replay", "--nsqd", broker.Nsqd(), "--topic", "orders.dlq");

        Assert.True(first.ExitCode == ExitCodes.Success, first.ToString());
        Assert.Contains("replayed 1 message(s) from orders.dlq to orders (1).", first.Output, StringComparison.Ordinal);
        Assert.DoesNotContain("order-late", first.Output, StringComparison.Ordinal);
        Assert.True(second.ExitCode == ExitCodes.Success, second.ToString());
        Assert.Contains("key=order-late", second.Output, StringComparison.Ordinal);
        Assert.Contains("replayed 1 message(s) from orders.dlq to orders (1).", second.Output, StringComparison.Ordinal);
        Assert.Equal(2, (await broker.ChannelAsync("orders", Check))?.Depth);
    }

    private static async Task<TestBroker> StartAsync(string kind)
    {
        var broker = await TestBroker.StartAsync(kind);
        await broker.CreateChannelAsync("orders", Check);
        return broker;
    }

    /// <summary>Dead letters as a Tmq consumer writes them: the original key, headers and body in an envelope, with the tmq-dlq-* headers added.</summary>
    private static async Task DeadLetterAsync(TestBroker broker, int count)
    {
        var result = await NsqCli.RunAsync(
            "produce", "--nsqd", broker.Nsqd(), "--topic", "orders.dlq", "--count", count.ToString(System.Globalization.CultureInfo.InvariantCulture),
            "--key", "order-{n}", "--value", "{\"id\":{n}}", "--header", "trace=t-{n}",
            "--header", "tmq-dlq-original-topic=orders", "--header", "tmq-dlq-attempts=5", "--header", "tmq-dlq-exception-type=System.TimeoutException");
        Assert.True(result.ExitCode == ExitCodes.Success, result.ToString());
    }

    private static async Task<string> LagAsync(TestBroker broker)
    {
        await broker.WaitForTopicAsync("orders.dlq");
        var lag = await NsqCli.RunAsync("lag", "--lookupd", broker.Lookupd(), "--topic", "orders.dlq", "--channel", "tmqtool-replay");
        Assert.True(lag.ExitCode == ExitCodes.Success, lag.ToString());
        return lag.Output;
    }
}
