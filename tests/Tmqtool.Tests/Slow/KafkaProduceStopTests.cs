using System.Diagnostics;
using System.Globalization;
using System.Text.RegularExpressions;
using Tmqtool.Tests.Support;

namespace Tmqtool.Tests.Slow;

/// <summary>
/// <c>tmqtool produce</c> on Kafka stopped with Ctrl+C (SIGINT) mid-run: it stops sending and waits
/// for what the client already holds (as long as its --timeout), so that what it reports is what the
/// broker got, and a message it could not deliver makes it exit 1 saying so; a second Ctrl+C ends it
/// at once, saying that what it held may or may not have been delivered.
/// </summary>
[Trait("Category", "Slow")]
[Collection(InstalledToolDefinition.Name)]
public sealed partial class KafkaProduceStopTests(InstalledTool tool)
{
    private const int Count = 1_000_000;
    private static readonly TimeSpan Start = TimeSpan.FromMinutes(3);
    private static readonly TimeSpan Step = TimeSpan.FromSeconds(60);

    [SlowFact]
    public async Task Produce_StoppedMidRun_ReportsEveryMessageTheTopicGot()
    {
        Assert.False(OperatingSystem.IsWindows(), "This test stops processes with signals.");
        using var broker = ProcessRunner.Start(tool.Executable, ["dev", "kafka", "--topic", "stopped:1"], tool.WorkDirectory, tool.Environment);
        var brokerLines = new LineReader(broker);
        Process? produce = null;
        try
        {
            var bootstrap = await BootstrapAsync(brokerLines);
            produce = ProcessRunner.Start(tool.Executable, ["produce", "-b", bootstrap, "--topic", "stopped", "--value", "v{n}", "--count", Count.ToString(CultureInfo.InvariantCulture)], tool.WorkDirectory, tool.Environment);
            var lines = new LineReader(produce);
            await lines.WaitForAsync(l => l.StartsWith("sent stopped[0]@", StringComparison.Ordinal), Start);

            await InterruptAsync(produce);

            Assert.True(produce.ExitCode == 0, $"produce exited with {produce.ExitCode}:\n{Tail(lines)}");
            var stopped = await lines.WaitForAsync(l => l.StartsWith("Stopped after ", StringComparison.Ordinal), TimeSpan.FromSeconds(5));
            var reported = long.Parse(StoppedAfter().Match(stopped).Groups[1].Value, CultureInfo.InvariantCulture);
            Assert.InRange(reported, 1, Count - 1);
            Assert.Equal(reported, lines.Lines.Count(l => l.StartsWith("sent stopped[0]@", StringComparison.Ordinal)));

            // What the broker holds is what was reported: nothing the client held was dropped or delivered unsaid.
            var lag = tool.Run(tool.Executable, ["lag", "-b", bootstrap, "--topic", "stopped", "--group", "nobody"], tool.WorkDirectory);
            Assert.Contains($"committed=none lag={reported.ToString(CultureInfo.InvariantCulture)}", lag, StringComparison.Ordinal);
        }
        finally
        {
            Kill(produce, broker);
            produce?.Dispose();
        }
    }

    [SlowFact]
    public async Task Produce_StoppedWhileItsMessagesCannotBeDelivered_ExitsWith1SayingWhichWasNotSent()
    {
        Assert.False(OperatingSystem.IsWindows(), "This test stops processes with signals.");
        using var broker = ProcessRunner.Start(tool.Executable, ["dev", "kafka", "--topic", "lost:1"], tool.WorkDirectory, tool.Environment);
        var brokerLines = new LineReader(broker);
        Process? produce = null;
        try
        {
            var bootstrap = await BootstrapAsync(brokerLines);

            // --timeout 25: the messages in flight when the broker goes fail that long after they were
            // sent, well after the stop below, and later than the 20 s a stopped helper used to be given
            // whatever its --timeout (it was killed then, unable to say what was not sent).
            produce = ProcessRunner.Start(tool.Executable, ["produce", "-b", bootstrap, "--topic", "lost", "--value", "v{n}", "--count", Count.ToString(CultureInfo.InvariantCulture), "--timeout", "25"], tool.WorkDirectory, tool.Environment);
            var lines = new LineReader(produce);
            await lines.WaitForAsync(l => l.StartsWith("sent lost[0]@", StringComparison.Ordinal), Start);
            await Processes.StopAsync(broker, TimeSpan.FromSeconds(30));

            await InterruptAsync(produce);

            Assert.True(produce.ExitCode == 1, $"produce exited with {produce.ExitCode}:\n{Tail(lines)}");
            await lines.WaitForAsync(l => l.StartsWith("error: message ", StringComparison.Ordinal) && l.Contains($" of {Count.ToString(CultureInfo.InvariantCulture)} was not sent to lost", StringComparison.Ordinal), TimeSpan.FromSeconds(5));
        }
        finally
        {
            Kill(produce, broker);
            produce?.Dispose();
        }
    }

    [SlowFact]
    public async Task Produce_StoppedTwice_EndsAtOnceSayingDeliveriesAreUnknown()
    {
        Assert.False(OperatingSystem.IsWindows(), "This test stops processes with signals.");
        using var broker = ProcessRunner.Start(tool.Executable, ["dev", "kafka", "--topic", "twice:1"], tool.WorkDirectory, tool.Environment);
        var brokerLines = new LineReader(broker);
        Process? produce = null;
        try
        {
            var bootstrap = await BootstrapAsync(brokerLines);
            produce = ProcessRunner.Start(tool.Executable, ["produce", "-b", bootstrap, "--topic", "twice", "--value", "v{n}", "--count", Count.ToString(CultureInfo.InvariantCulture), "--timeout", "60"], tool.WorkDirectory, tool.Environment);
            var lines = new LineReader(produce);
            await lines.WaitForAsync(l => l.StartsWith("sent twice[0]@", StringComparison.Ordinal), Start);
            await Processes.StopAsync(broker, TimeSpan.FromSeconds(30));

            // The first SIGINT makes it wait for the messages it holds (up to a minute: the broker is
            // gone); the next one ends it. Sent until it exits, as two signals close together may merge.
            var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(10);
            while (!produce.HasExited)
            {
                Assert.True(DateTime.UtcNow < deadline, $"produce still runs after repeated SIGINTs:\n{Tail(lines)}");
                using (var kill = Process.Start("kill", ["-INT", produce.Id.ToString(CultureInfo.InvariantCulture)]))
                {
                    await kill.WaitForExitAsync();
                }

                using var pause = new CancellationTokenSource(TimeSpan.FromMilliseconds(500));
                try
                {
                    await produce.WaitForExitAsync(pause.Token);
                }
                catch (OperationCanceledException)
                {
                    // Still running: signal again.
                }
            }

            Assert.True(produce.ExitCode == 1, $"produce exited with {produce.ExitCode}:\n{Tail(lines)}");
            await lines.WaitForAsync(l => l == "tmqtool: stopped again; killing the Kafka helper. Messages it still held may or may not have been delivered.", TimeSpan.FromSeconds(5));
        }
        finally
        {
            Kill(produce, broker);
            produce?.Dispose();
        }
    }

    private static async Task<string> BootstrapAsync(LineReader brokerLines) =>
        (await brokerLines.WaitForAsync(l => l.StartsWith("bootstrap.servers=", StringComparison.Ordinal), Start))["bootstrap.servers=".Length..];

    /// <summary>SIGINT, as Ctrl+C sends, then waits for the process to exit.</summary>
    private static async Task InterruptAsync(Process process)
    {
        using (var kill = Process.Start("kill", ["-INT", process.Id.ToString(CultureInfo.InvariantCulture)]))
        {
            await kill.WaitForExitAsync();
        }

        using var exited = new CancellationTokenSource(Step);
        await process.WaitForExitAsync(exited.Token);
    }

    private static string Tail(LineReader lines) => string.Join('\n', lines.Lines.TakeLast(20));

    private static void Kill(params Process?[] processes)
    {
        foreach (var process in processes)
        {
            if (process is { HasExited: false })
            {
                process.Kill(entireProcessTree: true);
            }
        }
    }

    [GeneratedRegex("^Stopped after ([0-9]+) of ")]
    private static partial Regex StoppedAfter();
}
