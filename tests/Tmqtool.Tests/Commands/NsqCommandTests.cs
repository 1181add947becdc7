using System.Text.RegularExpressions;
using Tmq.Nsq.Tests.Fakes;
using Tmqtool.Tests.Fakes;
using Tmqtool.Tests.Support;

namespace Tmqtool.Tests.Commands;

/// <summary>
/// produce, lag and tail on NSQ, against the dev nsqd and (when NSQD_PATH and NSQLOOKUPD_PATH are
/// set) the real nsqd and nsqlookupd: what a user sees, and what is left in the channels afterwards.
/// </summary>
public sealed partial class NsqCommandTests
{
    private const string Worker = "shop.orders.consumer";

    [Theory]
    [InlineData("dev")]
    [RealNsqdData]
    public async Task Produce_ThenLag_ShowsTheChannelsDepth(string kind)
    {
        await using var broker = await TestBroker.StartAsync(kind);
        await broker.CreateChannelAsync("orders", Worker);

        var produced = await NsqCli.RunAsync("produce", "--nsqd", broker.Nsqd(), "--topic", "orders", "--value", "m-{n}", "--count", "3");
        await broker.WaitForTopicAsync("orders");
        var lag = await NsqCli.RunAsync("lag", "--lookupd", broker.Lookupd(), "--topic", "orders");

        Assert.True(produced.ExitCode == ExitCodes.Success, produced.ToString());
        Assert.Equal(["sent orders value=m-1", "sent orders value=m-2", "sent orders value=m-3"], Lines(produced.Output));
        Assert.True(lag.ExitCode == ExitCodes.Success, lag.ToString());
        Assert.Matches(ChannelRow(Worker, depth: 3, inFlight: 0, clients: 0), lag.Output);
        Assert.Contains("topic=orders depth=3 in_flight=0 topic_queue=0", lag.Output, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("dev")]
    [RealNsqdData]
    public async Task Produce_TopicWithoutChannel_LagShowsTheTopicsQueue(string kind)
    {
        await using var broker = await TestBroker.StartAsync(kind);

        var produced = await NsqCli.RunAsync("produce", "--lookupd", broker.Lookupd(), "--topic", "orders", "--value", "v", "--count", "2", "--quiet");
        await broker.WaitForTopicAsync("orders");
        var lag = await NsqCli.RunAsync("lag", "--lookupd", broker.Lookupd(), "--topic", "orders");

        Assert.True(produced.ExitCode == ExitCodes.Success, produced.ToString());
        Assert.Equal("sent 2 message(s) to orders.\n", produced.Output);
        Assert.True(lag.ExitCode == ExitCodes.Success, lag.ToString());
        Assert.Contains("topic=orders depth=0 in_flight=0 topic_queue=2", lag.Output, StringComparison.Ordinal);
        Assert.Contains("topic orders has no channel yet", lag.Error, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("dev")]
    [RealNsqdData]
    public async Task TailDefault_TopicHoldingMessagesWithoutChannel_RefusesAndTakesNothing(string kind)
    {
        await using var broker = await TestBroker.StartAsync(kind);
        await NsqCli.RunAsync("produce", "--lookupd", broker.Lookupd(), "--topic", "orders", "--value", "v", "--count", "2", "--quiet");
        await broker.WaitForTopicAsync("orders");

        var tail = await NsqCli.RunAsync("tail", "--lookupd", broker.Lookupd(), "--topic", "orders", "--count", "1", "--timeout", "5");
        var lag = await NsqCli.RunAsync("lag", "--lookupd", broker.Lookupd(), "--topic", "orders");

        Assert.True(tail.ExitCode == ExitCodes.UnexpectedFailure, tail.ToString());
        Assert.Contains("topic orders has no channel yet", tail.Error, StringComparison.Ordinal);
        Assert.Contains("2 message(s) wait for the first one", tail.Error, StringComparison.Ordinal);
        Assert.Empty(tail.Output);
        Assert.Contains("topic=orders depth=0 in_flight=0 topic_queue=2", lag.Output, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("dev")]
    [RealNsqdData]
    public async Task TailChannel_ChannelThatDoesNotExist_RefusesAndMakesNothing(string kind)
    {
        await using var broker = await TestBroker.StartAsync(kind);
        await broker.CreateChannelAsync("orders", Worker);
        await NsqCli.RunAsync("produce", "--nsqd", broker.Nsqd(), "--topic", "orders", "--value", "v", "--count", "2", "--quiet");
        await broker.WaitForTopicAsync("orders");

        var tail = await NsqCli.RunAsync("tail", "--lookupd", broker.Lookupd(), "--topic", "orders", "--channel", "shop.ordres.consumer", "--count", "1", "--timeout", "5");
        var lag = await NsqCli.RunAsync("lag", "--lookupd", broker.Lookupd(), "--topic", "orders");

        Assert.True(tail.ExitCode == ExitCodes.UnexpectedFailure, tail.ToString());
        Assert.Contains($"channel shop.ordres.consumer of orders does not exist on nsqd {broker.Nsqd()} (its channels are {Worker})", tail.Error, StringComparison.Ordinal);
        Assert.Empty(tail.Output);
        Assert.DoesNotContain("shop.ordres.consumer", lag.Output, StringComparison.Ordinal);
        Assert.Matches(ChannelRow(Worker, depth: 2, inFlight: 0, clients: 0), lag.Output);
    }

    [Theory]
    [InlineData("dev")]
    [RealNsqdData]
    public async Task TailChannel_KeyAndHeaders_ShowsThemAndTakesNothing(string kind)
    {
        await using var broker = await TestBroker.StartAsync(kind);
        await broker.CreateChannelAsync("orders", Worker);
        var produced = await NsqCli.RunAsync("produce", "--nsqd", broker.Nsqd(), "--topic", "orders", "--key", "order-{n}", "--header", "trace=t-{n}", "--header", "source=cli", "--value", "{\"id\":{n}}", "--count", "2");
        Assert.True(produced.ExitCode == ExitCodes.Success, produced.ToString());

        var first = await NsqCli.RunAsync("tail", "--nsqd", broker.Nsqd(), "--topic", "orders", "--channel", Worker, "--count", "2", "--timeout", "20");
        var second = await NsqCli.RunAsync("tail", "--nsqd", broker.Nsqd(), "--topic", "orders", "--channel", Worker, "--count", "2", "--timeout", "20");
        await broker.WaitForTopicAsync("orders");
        var lag = await NsqCli.RunAsync("lag", "--lookupd", broker.Lookupd(), "--topic", "orders", "--channel", Worker);

        foreach (var tail in new[] { first, second })
        {
            Assert.True(tail.ExitCode == ExitCodes.Success, tail.ToString());
            Assert.Contains("they are put back when tail stops", tail.Error, StringComparison.Ordinal);
            var messages = Messages(tail.Output);
            Assert.Equal(["order-1", "order-2"], messages.Select(static m => m.Key).Order(StringComparer.Ordinal));
            foreach (var (key, body) in messages)
            {
                var n = key["order-".Length..];
                Assert.Equal([$"  header trace=t-{n}", "  header source=cli", $"  value={{\"id\":{n}}}"], body);
            }
        }

        Assert.True(lag.ExitCode == ExitCodes.Success, lag.ToString());
        Assert.Contains($"topic=orders channel={Worker} depth=2 in_flight=0", lag.Output, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("dev")]
    [RealNsqdData]
    public async Task TailDefault_MessagesBeforeAndAfterItStarted_ShowsOnlyTheNewOnesAndTakesNothing(string kind)
    {
        await using var broker = await TestBroker.StartAsync(kind);
        await broker.CreateChannelAsync("orders", Worker);
        await broker.PublishAsync("orders", "before"u8.ToArray());
        using var tail = BackgroundCli.Start("tail", "--nsqd", broker.Nsqd(), "--topic", "orders", "--count", "1", "--timeout", "20");

        var channel = EphemeralChannel(await tail.ErrorLineAsync("Showing new messages of orders"));
        await Eventually.TrueAsync(async () => await broker.ChannelAsync("orders", channel) is { Clients: 1 }, () => $"tail did not subscribe to {channel}");
        await broker.PublishAsync("orders", "after"u8.ToArray());
        var result = await tail.EndAsync();

        Assert.True(result.ExitCode == ExitCodes.Success, result.ToString());
        Assert.Equal(["  value=after"], Lines(result.Output).Where(static l => l.StartsWith("  ", StringComparison.Ordinal)));
        Assert.Equal(2, (await broker.ChannelAsync("orders", Worker))?.Depth);
        await Eventually.TrueAsync(async () => await broker.ChannelAsync("orders", channel) is null, () => $"{channel} outlived tail");
    }

    [Theory]
    [InlineData("dev")]
    [RealNsqdData]
    public async Task TailDefault_DeadLetterTopic_LeavesTheDeadLettersForReplay(string kind)
    {
        await using var broker = await TestBroker.StartAsync(kind);
        await broker.PublishAsync("orders.dlq", "dead-1"u8.ToArray());
        using var tail = BackgroundCli.Start("tail", "--nsqd", broker.Nsqd(), "--topic", "orders.dlq", "--count", "1", "--timeout", "20");

        var channel = EphemeralChannel(await tail.ErrorLineAsync("Showing new messages of orders.dlq"));
        await Eventually.TrueAsync(async () => await broker.ChannelAsync("orders.dlq", channel) is { Clients: 1 }, () => $"tail did not subscribe to {channel}");
        await broker.PublishAsync("orders.dlq", "dead-2"u8.ToArray());
        var result = await tail.EndAsync();

        Assert.True(result.ExitCode == ExitCodes.Success, result.ToString());
        Assert.Contains("  value=dead-2", result.Output, StringComparison.Ordinal);
        Assert.DoesNotContain("dead-1", result.Output, StringComparison.Ordinal);
        Assert.Equal(2, (await broker.ChannelAsync("orders.dlq", "tmqtool-replay"))?.Depth);
    }

    [Theory]
    [InlineData("dev")]
    [RealNsqdData]
    public async Task TailChannel_Stopped_PutsBackWhatItHeld(string kind)
    {
        await using var broker = await TestBroker.StartAsync(kind);
        await broker.CreateChannelAsync("orders", Worker);
        await broker.PublishAsync("orders", "waiting"u8.ToArray());
        using var tail = BackgroundCli.Start("tail", "--nsqd", broker.Nsqd(), "--topic", "orders", "--channel", Worker);

        await tail.OutputLineAsync("  value=waiting");
        var result = await tail.StopAsync();

        Assert.True(result.ExitCode == ExitCodes.Success, result.ToString());
        Assert.Equal(new ChannelCounts(Depth: 1, InFlight: 0, Requeued: 1, Messages: 1, Clients: 0), await broker.ChannelAsync("orders", Worker));
    }

    private static string[] Lines(string text) => text.Split('\n', StringSplitOptions.RemoveEmptyEntries);

    /// <summary>The messages tail printed: each key, with the lines under it (headers, value).</summary>
    private static List<(string Key, string[] Body)> Messages(string output)
    {
        var messages = new List<(string Key, List<string> Body)>();
        foreach (var line in Lines(output))
        {
            if (line.StartsWith("  ", StringComparison.Ordinal))
            {
                messages[^1].Body.Add(line);
            }
            else
            {
                messages.Add((KeyField().Match(line).Groups["key"].Value, []));
            }
        }

        return [.. messages.Select(static m => (m.Key, m.Body.ToArray()))];
    }

    private static string EphemeralChannel(string line) => EphemeralChannelName().Match(line) is { Success: true } match
        ? match.Groups["channel"].Value
        : throw new InvalidOperationException($"No ephemeral channel in: {line}");

    /// <summary>A row of lag's table: the channel, then its depth, in-flight, deferred, requeued, timed-out and client counts.</summary>
    private static Regex ChannelRow(string channel, int depth, int inFlight, int clients) =>
        new($@"(?m)^\S+\s+{Regex.Escape(channel)}\s+{depth}\s+{inFlight}\s+\d+\s+\d+\s+\d+\s+{clients}$");

    [GeneratedRegex(@" key=(?<key>\S*) ")]
    private static partial Regex KeyField();

    [GeneratedRegex(@"ephemeral channel (?<channel>tmqtool-tail-[0-9a-f]+#ephemeral)\.")]
    private static partial Regex EphemeralChannelName();
}
