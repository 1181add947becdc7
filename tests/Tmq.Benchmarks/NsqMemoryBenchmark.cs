using System.Diagnostics;
using System.Globalization;

namespace Tmq.Benchmarks;

/// <summary>
/// The memory part of <c>nsq</c>: the peak working set of a Tmq NSQ consumer process (no-op
/// handler, the same settings as the throughput drain) draining a 250,000 vs a 1,000,000 message
/// backlog. Each drain runs in its own process (hidden scenario <c>nsq-drain</c>), so that the
/// benchmark's publishing, its producer's buffers and the other drain do not count. Memory flat in
/// the backlog means a ratio close to 1.0: what the consumer holds is bounded by MaxInFlight and
/// MaxBufferedMessages, not by what waits in nsqd.
/// </summary>
/// <remarks>
/// The child samples its resident set (VmRSS) every 50 ms from its start until the last message is
/// handled, and also reports the kernel's peak (VmHWM), which catches a spike between samples.
/// MB here is 10^6 bytes.
/// </remarks>
internal static class NsqMemoryBenchmark
{
    private static readonly TimeSpan SampleEvery = TimeSpan.FromMilliseconds(50);

    /// <summary>Publishes <paramref name="small"/> and <paramref name="large"/> backlogs, drains each in a child, and prints the peaks and their ratio.</summary>
    public static async Task RunAsync(NsqServer server, string ordering, int maxInFlight, int small, int large, int publishers)
    {
        await using (var producer = NsqRuns.Producer(server.TcpAddress))
        {
            foreach (var (topic, messages) in new[] { ("bench-mem-small", small), ("bench-mem-large", large) })
            {
                await server.CreateAsync(topic, NsqRuns.Channel);
                var published = await NsqRuns.PublishBatchesAsync(server, producer, topic, messages, publishers, [NsqRuns.PlainBody()]);
                await server.SettleAsync(topic);
                Console.WriteLine($"nsq.memory.backlog_{Label(messages)}: {messages} x {NsqRuns.MessageSize} B published ({published.Rate:F0} msg/s)");
            }
        }

        var s = await DrainInChildAsync(server, "bench-mem-small", small, ordering, maxInFlight);
        Print($"nsq.memory.drain_{Label(small)}", s);
        var l = await DrainInChildAsync(server, "bench-mem-large", large, ordering, maxInFlight);
        Print($"nsq.memory.drain_{Label(large)}", l);
        Console.WriteLine($"nsq.memory.measured: resident set of the consumer process sampled every {SampleEvery.TotalMilliseconds} ms from its start until the last message is handled (VmHWM in brackets); own process per drain, MaxInFlight {maxInFlight}, Ordering {ordering}, default Concurrency and MaxBufferedMessages");
        Console.WriteLine($"nsq.memory.peak_{Label(small)}: {s.SampledPeakBytes / 1e6:F0} MB (VmHWM {s.PeakBytes / 1e6:F0} MB)");
        Console.WriteLine($"nsq.memory.peak_{Label(large)}: {l.SampledPeakBytes / 1e6:F0} MB (VmHWM {l.PeakBytes / 1e6:F0} MB)");
        Console.WriteLine(
            $"ratio.peak_{Label(large)}_vs_{Label(small)}: {l.SampledPeakBytes / (double)s.SampledPeakBytes:F2} x (sampled peaks; VmHWM {l.PeakBytes / (double)s.PeakBytes:F2} x; flat in the backlog = close to 1.0)");
        await server.DeleteAsync("bench-mem-small");
        await server.DeleteAsync("bench-mem-large");
    }

    private static string Label(int messages) => messages % 1000 == 0 ? $"{messages / 1000}k" : messages.ToString(CultureInfo.InvariantCulture);

    private static void Print(string name, Drain drain) =>
        Console.WriteLine(
            $"{name}: peak {drain.SampledPeakBytes / 1e6:F0} MB sampled, {drain.PeakBytes / 1e6:F0} MB VmHWM (live heap after the drain {drain.LiveHeapBytes / 1e6:F1} MB), " +
            $"{drain.Messages / drain.Seconds:F0} msg/s, {drain.Seconds:F2} s, CPU {drain.CpuSeconds:F2} s");

    private static async Task<Drain> DrainInChildAsync(NsqServer server, string topic, int messages, string ordering, int maxInFlight)
    {
        string[] args =
        [
            "nsq-drain", "--nsqd", server.TcpAddress, "--topic", topic,
            "--messages", messages.ToString(CultureInfo.InvariantCulture),
            "--ordering", ordering,
            "--max-in-flight", maxInFlight.ToString(CultureInfo.InvariantCulture),
        ];
        var values = await KafkaBench.RunChildAsync(args, $"The drain of {topic}");
        return new Drain(
            messages, (long)values["sampled_peak_bytes"], (long)values["peak_working_set_bytes"], (long)values["live_heap_bytes"], values["seconds"], values["cpu_seconds"]);
    }

    /// <summary>The child side: drains <c>--messages</c> messages of <c>--topic</c>, then reports its peak working set.</summary>
    public static async Task<int> RunDrainChildAsync(string[] args)
    {
        var sampledPeak = 0L;
        using var sampler = new Timer(
            _ =>
            {
                var rss = KafkaBench.StatusBytes("VmRSS:") ?? Process.GetCurrentProcess().WorkingSet64;
                InterlockedMax(ref sampledPeak, rss);
            },
            null,
            TimeSpan.Zero,
            SampleEvery);
        var nsqd = Args.Text(args, "--nsqd") ?? throw new ArgumentException("--nsqd is required");
        var topic = Args.Text(args, "--topic") ?? throw new ArgumentException("--topic is required");
        var messages = Args.Int(args, "--messages", 0);
        var ordering = Args.Text(args, "--ordering") ?? "None";
        var maxInFlight = Args.Int(args, "--max-in-flight", NsqBenchmark.MaxInFlight);

        // Read when the last message is handled, while the consumer still runs.
        var peakBytes = 0L;
        var liveBytes = 0L;
        var result = await NsqRuns.ConsumeAsync(
            null, nsqd, topic, messages, ordering, maxInFlight, TimeSpan.FromMinutes(5),
            whileRunning: () =>
            {
                InterlockedMax(ref sampledPeak, KafkaBench.StatusBytes("VmRSS:") ?? 0);
                peakBytes = KafkaBench.PeakWorkingSetBytes();
                liveBytes = GC.GetTotalMemory(forceFullCollection: true);
            });
        Console.WriteLine($"sampled_peak_bytes {Volatile.Read(ref sampledPeak)}");
        Console.WriteLine($"peak_working_set_bytes {peakBytes}");
        Console.WriteLine($"live_heap_bytes {liveBytes}");
        Console.WriteLine($"seconds {result.Elapsed.TotalSeconds.ToString(CultureInfo.InvariantCulture)}");
        Console.WriteLine($"cpu_seconds {result.CpuSeconds.ToString(CultureInfo.InvariantCulture)}");
        return 0;
    }

    private static void InterlockedMax(ref long target, long value)
    {
        var seen = Volatile.Read(ref target);
        while (value > seen && Interlocked.CompareExchange(ref target, value, seen) is var now && now != seen)
        {
            seen = now;
        }
    }

    private readonly record struct Drain(int Messages, long SampledPeakBytes, long PeakBytes, long LiveHeapBytes, double Seconds, double CpuSeconds);
}
