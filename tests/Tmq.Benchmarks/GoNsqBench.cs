using System.Diagnostics;
using System.Globalization;
using System.Text.RegularExpressions;

namespace Tmq.Benchmarks;

/// <summary>
/// NSQ's own Go benchmark tools (<c>bench_writer</c>, <c>bench_reader</c> from nsq's <c>bench/</c>),
/// run against the same nsqd in the same sitting as the baseline.
/// </summary>
/// <remarks>
/// Both start <c>GOMAXPROCS</c> workers (2 here), each on its own connection: bench_writer's workers
/// each send one MPUB of <c>--batch-size</c> and wait for its OK before the next; bench_reader's each
/// send RDY <c>--rdy</c> and FIN every message, for <c>--runfor</c>, then report what they read. Both
/// print <c>duration: ... - X.XXXmb/s - X.XXXops/s - X.XXXus/op</c> to stderr.
/// </remarks>
internal static partial class GoNsqBench
{
    public const string DefaultFolder = "/opt/nsq/bin";

    private static readonly string[] Tools = ["bench_writer", "bench_reader"];

    /// <summary>The folder of the tools and why it is unusable (null when usable).</summary>
    public static (string? Folder, string? Missing) Locate(string? given)
    {
        var folder = given ?? (Directory.Exists(DefaultFolder) ? DefaultFolder : null);
        if (folder is null)
        {
            return (null, $"no --go-bench and no {DefaultFolder}");
        }

        var missing = Tools.Where(t => !File.Exists(Path.Combine(folder, t))).ToList();
        return (folder, missing.Count == 0 ? null : $"{string.Join(" and ", missing)} not found in {folder}");
    }

    public static Task<Result> WriteAsync(string folder, string nsqd, string topic, string runfor) =>
        RunAsync(Path.Combine(folder, "bench_writer"), runfor, $"--nsqd-tcp-address={nsqd}", $"--topic={topic}", $"--size={NsqRuns.MessageSize}", $"--batch-size={NsqRuns.BatchSize}", $"--runfor={runfor}");

    public static Task<Result> ReadAsync(string folder, string nsqd, string topic, string channel, int rdy, string runfor) =>
        RunAsync(Path.Combine(folder, "bench_reader"), runfor, $"--nsqd-tcp-address={nsqd}", $"--topic={topic}", $"--channel={channel}", $"--size={NsqRuns.MessageSize}", $"--rdy={rdy}", $"--runfor={runfor}");

    /// <summary>A Go duration such as <c>10s</c>, <c>500ms</c>, <c>2m</c> or <c>1m30s</c>.</summary>
    public static TimeSpan ParseDuration(string text)
    {
        var parts = DurationPart().Matches(text);
        if (parts.Count == 0 || string.Concat(parts.Select(static m => m.Value)) != text)
        {
            throw new ArgumentException($"--runfor is \"{text}\"; it must be a Go duration such as 10s, 500ms or 1m30s.");
        }

        return parts.Aggregate(TimeSpan.Zero, static (sum, m) =>
        {
            var value = double.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture);
            return sum + m.Groups[2].Value switch
            {
                "ns" => TimeSpan.FromMicroseconds(value / 1000),
                "us" or "µs" => TimeSpan.FromMicroseconds(value),
                "ms" => TimeSpan.FromMilliseconds(value),
                "s" => TimeSpan.FromSeconds(value),
                "m" => TimeSpan.FromMinutes(value),
                _ => TimeSpan.FromHours(value),
            };
        });
    }

    private static async Task<Result> RunAsync(string tool, string runfor, params string[] args)
    {
        var info = new ProcessStartInfo(tool) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var arg in args)
        {
            info.ArgumentList.Add(arg);
        }

        var cpu = ChildCpu.Seconds();
        using var process = Process.Start(info) ?? throw new InvalidOperationException($"Could not start {tool}.");
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(ParseDuration(runfor) + TimeSpan.FromMinutes(1));
        try
        {
            await process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"{Path.GetFileName(tool)} did not finish a --runfor={runfor} run within a minute more.");
        }

        var cpuUsed = ChildCpu.Seconds() - cpu;
        var output = await stdout + await stderr;
        var summary = output.Split('\n').LastOrDefault(static l => l.Contains("ops/s", StringComparison.Ordinal));
        var match = summary is null ? null : OpsPerSecond().Match(summary);
        if (process.ExitCode != 0 || match is not { Success: true })
        {
            throw new InvalidOperationException($"{Path.GetFileName(tool)} {string.Join(' ', args)} exited with {process.ExitCode} without a summary: {output.Trim()}");
        }

        var seconds = DurationField().Match(summary!) is { Success: true } d ? ParseDuration(d.Groups[1].Value).TotalSeconds : double.NaN;
        return new Result(double.Parse(match.Groups[1].Value, CultureInfo.InvariantCulture), seconds, summary!.Trim(), cpuUsed);
    }

    /// <summary>What a tool reported (messages per second, over how long, its summary line as printed) and the CPU it used.</summary>
    internal readonly record struct Result(double Rate, double Seconds, string Summary, double CpuSeconds)
    {
        public long Messages => (long)Math.Round(Rate * Seconds);

        public double CpuMicrosPerMessage => Messages > 0 ? CpuSeconds / Messages * 1e6 : double.NaN;
    }

    [GeneratedRegex(@"([0-9.]+)ops/s")]
    private static partial Regex OpsPerSecond();

    [GeneratedRegex(@"duration: ([0-9.a-zµ]+)")]
    private static partial Regex DurationField();

    [GeneratedRegex(@"([0-9]+(?:\.[0-9]+)?)(ns|us|µs|ms|h|m|s)")]
    private static partial Regex DurationPart();
}
