using Tmqtool.Tests.Support;

namespace Tmqtool.Tests.Slow;

/// <summary>
/// <c>tmqtool dlq replay</c> and <c>tmqtool lag</c> on Kafka, with the installed tool against
/// <c>tmqtool dev kafka</c>: a replay ends at what the dead-letter topic held when it began (dead
/// letters arriving meanwhile wait for the next run), <c>--count</c> stops it and the next run
/// resumes there, a message without an original topic stops it unless <c>--to</c> names one, and
/// lag reports the committed offsets of a group and what is left after them.
/// </summary>
[Trait("Category", "Slow")]
[Collection(InstalledToolDefinition.Name)]
public sealed class KafkaDlqReplayTests(InstalledTool tool)
{
    private static readonly TimeSpan Start = TimeSpan.FromMinutes(3);

    [SlowFact]
    public async Task DlqReplay_Kafka_BoundedByWhatItFound_ResumesAfterCount_StopsAtAnUnroutableMessage_AndLagShowsItsCommits()
    {
        Assert.False(OperatingSystem.IsWindows(), "This test stops processes with SIGTERM.");
        var bootstrapFile = Path.Combine(tool.WorkDirectory, "replay-bootstrap.txt");
        using var broker = ProcessRunner.Start(
            tool.Executable,
            ["dev", "kafka", "--topic", "orders:1", "--topic", "orders.dlq:1", "--topic", "loop.dlq:1", "--topic", "plain.dlq:1", "--topic", "payments:1", "--bootstrap-file", bootstrapFile],
            tool.WorkDirectory,
            tool.Environment);
        var brokerLines = new LineReader(broker);
        try
        {
            var bootstrap = (await brokerLines.WaitForAsync(l => l.StartsWith("bootstrap.servers=", StringComparison.Ordinal), Start))["bootstrap.servers=".Length..];
            string[] Servers(params string[] arguments) => [.. arguments, "--bootstrap-servers", bootstrap];

            // --count, then a run that resumes where it stopped; the dead letters' own headers stay behind.
            Tmqtool(Servers("produce", "--topic", "orders.dlq", "--key", "k{n}", "--value", "v{n}", "--header", "tmq-dlq-original-topic=orders", "--header", "trace=t{n}", "--count", "3"));
            var first = Tmqtool(Servers("dlq", "replay", "--topic", "orders.dlq", "--count", "1"));
            Assert.Contains("orders.dlq: 3 message(s) to replay, replaying the first 1", first, StringComparison.Ordinal);
            Assert.Contains("replayed orders.dlq[0]@0 -> orders[0]@0 key=k1", first, StringComparison.Ordinal);
            Assert.Contains("replayed 1 message(s) from orders.dlq to orders (1).", first, StringComparison.Ordinal);
            var rest = Tmqtool(Servers("dlq", "replay", "--topic", "orders.dlq"));
            Assert.Contains("orders.dlq: 2 message(s) to replay", rest, StringComparison.Ordinal);
            Assert.Contains("replayed orders.dlq[0]@1 -> orders[0]@1 key=k2", rest, StringComparison.Ordinal);
            Assert.Contains("replayed orders.dlq[0]@2 -> orders[0]@2 key=k3", rest, StringComparison.Ordinal);
            Assert.DoesNotContain("key=k1", rest, StringComparison.Ordinal);
            Assert.Contains("orders.dlq: 0 message(s) to replay", Tmqtool(Servers("dlq", "replay", "--topic", "orders.dlq")), StringComparison.Ordinal);
            var replayed = Tmqtool(Servers("tail", "--topic", "orders", "--from-beginning", "--count", "3", "--timeout", "60"));
            Assert.Contains("header trace=t3", replayed, StringComparison.Ordinal);
            Assert.DoesNotContain("tmq-dlq-", replayed, StringComparison.Ordinal);

            // lag reports the replay group's commits and what is left, and a group that committed nothing.
            Assert.Contains(
                "group=tmqtool-replay.orders.dlq topic=orders.dlq committed=3 lag=0",
                Tmqtool(Servers("lag", "--topic", "orders.dlq", "--group", "tmqtool-replay.orders.dlq")),
                StringComparison.Ordinal);
            Assert.Contains("group=nobody topic=orders committed=none lag=3", Tmqtool(Servers("lag", "--topic", "orders", "--group", "nobody")), StringComparison.Ordinal);

            // Dead letters whose original topic is the dead-letter topic: every message replayed is a
            // new dead letter arriving mid-run. The run ends with the two it found; they wait for the next.
            Tmqtool(Servers("produce", "--topic", "loop.dlq", "--key", "again{n}", "--value", "x", "--header", "tmq-dlq-original-topic=loop.dlq", "--count", "2"));
            var loop = Tmqtool(Servers("dlq", "replay", "--topic", "loop.dlq"));
            Assert.Contains("replayed 2 message(s) from loop.dlq to loop.dlq (2).", loop, StringComparison.Ordinal);
            // (A replayed message carries no tmq-dlq-* header, so these two need --to.)
            var next = Tmqtool(Servers("dlq", "replay", "--topic", "loop.dlq", "--to", "orders", "--dry-run"));
            Assert.Contains("loop.dlq: 2 message(s) to replay", next, StringComparison.Ordinal);
            Assert.Contains("would replay loop.dlq[0]@2 -> orders key=again1", next, StringComparison.Ordinal);

            // A message that was not dead-lettered by Tmq stops the run there, exit code 1; --to sends it on.
            Tmqtool(Servers("produce", "--topic", "plain.dlq", "--key", "routed", "--value", "x", "--header", "tmq-dlq-original-topic=orders"));
            Tmqtool(Servers("produce", "--topic", "plain.dlq", "--key", "stray", "--value", "x"));
            var (exit, stopped) = ProcessRunner.Run(tool.Executable, Servers("dlq", "replay", "--topic", "plain.dlq"), tool.WorkDirectory, InstalledTool.Limit, tool.Environment);
            Assert.True(exit == 1, $"the replay exited with {exit}:\n{stopped}");
            Assert.Contains("replayed plain.dlq[0]@0 -> orders[0]@3 key=routed", stopped, StringComparison.Ordinal);
            Assert.Contains("error: plain.dlq[0]@1 has no tmq-dlq-original-topic header", stopped, StringComparison.Ordinal);
            var routed = Tmqtool(Servers("dlq", "replay", "--topic", "plain.dlq", "--to", "payments"));
            Assert.Contains("plain.dlq: 1 message(s) to replay", routed, StringComparison.Ordinal);
            Assert.Contains("replayed plain.dlq[0]@1 -> payments[0]@0 key=stray", routed, StringComparison.Ordinal);

            await Processes.StopAsync(broker, TimeSpan.FromSeconds(30));
        }
        finally
        {
            if (!broker.HasExited)
            {
                broker.Kill(entireProcessTree: true);
            }
        }
    }

    private string Tmqtool(string[] arguments) => tool.Run(tool.Executable, arguments, tool.WorkDirectory);
}
