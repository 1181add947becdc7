using System.Diagnostics;

namespace Tmq.Benchmarks;

/// <summary>
/// The client's ceiling: kcat (C, librdkafka's defaults) reading the backlog in a fresh group of its
/// own (<c>kcat -C -G group -c N -e topic</c>), one byte of output per message, counted.
/// </summary>
/// <remarks>
/// <para>kcat stops after the backlog's count (<c>-c</c>), and the clock runs from starting the
/// process to its exit: process start, group join, reading, and the consumer's close (leaving the
/// group, the last commit), which takes milliseconds on the mock. Stopping at the end of the
/// partitions instead (<c>-e</c> alone) would add librdkafka's long poll: the end is reported by
/// an empty fetch, which the broker holds for <c>fetch.wait.max.ms</c> (500 ms). <c>-e</c> stays as
/// a guard against a short backlog. Its "Group ... rebalanced ... assigned:" line on stderr marks
/// the first assignment. The count is checked after it exits.</para>
/// <para>CPU is the child's user and system time (getrusage of waited-for children). kcat is
/// Debian's package, bringing its own librdkafka (older than Confluent.Kafka's).</para>
/// </remarks>
internal static class KcatConsumer
{
    /// <summary>kcat on PATH (or kafkacat, its former name), or null.</summary>
    public static string? Find()
    {
        var path = Environment.GetEnvironmentVariable("PATH") ?? string.Empty;
        foreach (var dir in path.Split(':', StringSplitOptions.RemoveEmptyEntries))
        {
            foreach (var name in new[] { "kcat", "kafkacat" })
            {
                var candidate = Path.Combine(dir, name);
                if (File.Exists(candidate))
                {
                    return candidate;
                }
            }
        }

        return null;
    }

    /// <param name="overrides">librdkafka settings passed as <c>-X key=value</c> (<c>--kcat-kafka</c>; investigation only).</param>
    public static async Task<KafkaBench.RunResult> RunAsync(
        string kcat, string bootstrap, string topic, string group, int messages, IReadOnlyDictionary<string, string> overrides, TimeSpan timeout)
    {
        var info = new ProcessStartInfo(kcat)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var arg in overrides.SelectMany(static o => new[] { "-X", $"{o.Key}={o.Value}" }).Concat(["-C", "-b", bootstrap, "-G", group, "-X", "auto.offset.reset=earliest", "-c", messages.ToString(System.Globalization.CultureInfo.InvariantCulture), "-e", "-f", ".", topic]))
        {
            info.ArgumentList.Add(arg);
        }

        var cpu = ChildCpu.Seconds();
        var start = Stopwatch.GetTimestamp();
        using var process = Process.Start(info) ?? throw new InvalidOperationException($"Could not start {kcat}.");
        var counting = CountAsync(process.StandardOutput.BaseStream);
        var stderr = new List<string>();
        long assigned = 0;
        using var cancel = new CancellationTokenSource(timeout);
        try
        {
            while (await process.StandardError.ReadLineAsync(cancel.Token) is { } line)
            {
                if (assigned == 0 && line.Contains("rebalanced", StringComparison.Ordinal) && line.Contains("assigned:", StringComparison.Ordinal))
                {
                    assigned = Stopwatch.GetTimestamp();
                }

                stderr.Add(line);
            }

            await process.WaitForExitAsync(cancel.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill();
            throw new TimeoutException($"kcat did not read {topic} to its end in {timeout}: {string.Join(" | ", stderr)}");
        }

        var end = Stopwatch.GetTimestamp();
        var count = await counting;
        var cpuUsed = ChildCpu.Seconds() - cpu;
        if (process.ExitCode != 0 || count != messages)
        {
            throw new InvalidOperationException(
                $"kcat read {count} of {messages} messages of {topic} (exit {process.ExitCode}): {string.Join(" | ", stderr)}");
        }

        return new KafkaBench.RunResult(messages, Stopwatch.GetElapsedTime(start, end), Stopwatch.GetElapsedTime(assigned == 0 ? start : assigned, end), cpuUsed);
    }

    private static async Task<long> CountAsync(Stream output)
    {
        var buffer = new byte[64 * 1024];
        long total = 0;
        int read;
        while ((read = await output.ReadAsync(buffer)) > 0)
        {
            total += read;
        }

        return total;
    }
}
