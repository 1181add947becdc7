using System.Globalization;

namespace Tmq.Benchmarks;

/// <summary>
/// <c>kafka-memory</c>: the peak working set of a Tmq consumer process (no-op handler,
/// MaxBufferedMessages 10,000) draining a 200,000 vs an 800,000 message backlog. Each drain runs
/// in its own process (hidden scenario <c>kafka-drain</c>) and the broker in another, so neither
/// the broker's retained data nor the other drain counts. Target: within 10% of each other and
/// under 300 MB.
/// <para>Both backlogs are written as record batches of the same size (1,250 messages, about 150 KB):
/// librdkafka turns a whole fetched batch into queued messages at once (a batch is never split), so
/// the consumer's native memory in flight follows the producer's batch size. With 10,000-message
/// batches capped at 1 MB, the 200k backlog was one ~750 KB batch per partition and the 800k backlog
/// three ~1 MB batches, and the comparison measured that difference as well as the backlog's length.</para>
/// </summary>
/// <remarks>
/// Options: <c>--small</c>/<c>--large</c> (200,000/800,000 messages), <c>--partitions</c> (32),
/// <c>--batch-messages</c> (1,250: the producer's <c>batch.num.messages</c> for both backlogs),
/// <c>--max-buffered</c> (10,000), <c>--rounds</c> (3; drains alternate small, large), <c>--kafka
/// key=value</c> (overrides for the Tmq consumer, passed on to each drain), <c>--trace</c> (each drain
/// samples its RSS, GC heap and glibc malloc arenas every 20 ms to stderr), <c>--warm N</c> (0: each drain
/// process first drains N other messages with a consumer of its own, then resets its peak, so the
/// figure is the backlog's alone, without the process's one-time warm-up). MB here is 10^6 bytes.
/// Each drain also reports its live heap after a full GC once the last message is handled, while
/// the consumer still runs: it must not depend on the backlog's size.
/// </remarks>
internal static class KafkaMemoryBenchmark
{
    private const int Small = 200_000;
    private const int Large = 800_000;

    public static async Task<int> RunAsync(string[] args)
    {
        var small = Args.Int(args, "--small", Small);
        var large = Args.Int(args, "--large", Large);
        var partitions = Args.Int(args, "--partitions", 32);
        var maxBuffered = Args.Int(args, "--max-buffered", 10_000);
        var rounds = Args.Int(args, "--rounds", 3);
        var kafka = KafkaBench.KafkaOverrides(args);
        var trace = args.Contains("--trace");
        var warm = Args.Int(args, "--warm", 0);
        var batch = Args.Int(args, "--batch-messages", 1_250);
        var keys = KafkaBench.MakeKeys();

        KafkaBench.PrintLoad("kafka-memory.start");
        using var broker = KafkaBrokerHandle.Start();
        Console.WriteLine($"kafka-memory.tmq_kafka_overrides: {KafkaBench.Describe(kafka)}");
        KafkaBench.ProduceChecked(broker, "backlog-small", partitions, small, keys, "kafka-memory.backlog_small", batch);
        KafkaBench.ProduceChecked(broker, "backlog-large", partitions, large, keys, "kafka-memory.backlog_large", batch);
        if (warm > 0)
        {
            KafkaBench.ProduceChecked(broker, "warm-up", partitions, warm, keys, "kafka-memory.warm_up");
        }

        var smallDrains = new List<Drain>();
        var largeDrains = new List<Drain>();
        for (var round = 1; round <= rounds; round++)
        {
            var s = await DrainInChildAsync(broker.BootstrapServers, "backlog-small", $"mem-small-{round}", small, maxBuffered, kafka, trace, warm);
            Print($"kafka-memory.drain_{Label(small)}.run{round}", s);
            smallDrains.Add(s);
            var l = await DrainInChildAsync(broker.BootstrapServers, "backlog-large", $"mem-large-{round}", large, maxBuffered, kafka, trace, warm);
            Print($"kafka-memory.drain_{Label(large)}.run{round}", l);
            largeDrains.Add(l);
        }

        var smallPeak = smallDrains.Max(static d => d.PeakBytes) / 1e6;
        var largePeak = largeDrains.Max(static d => d.PeakBytes) / 1e6;
        var smallMedian = KafkaBench.Median(smallDrains.Select(static d => (double)d.PeakBytes)) / 1e6;
        var largeMedian = KafkaBench.Median(largeDrains.Select(static d => (double)d.PeakBytes)) / 1e6;
        Console.WriteLine($"kafka-memory.max_buffered_messages: {maxBuffered}");
        Console.WriteLine($"kafka-memory.backlog_shape: record batches of up to {batch} messages ({small / partitions} and {large / partitions} messages per partition)");
        Console.WriteLine(warm > 0
            ? $"kafka-memory.measured: peak working set (VmHWM) of the consumer process while a second consumer drains the backlog, after a first one drained {warm} other messages (peak reset in between), own process per drain, broker in another"
            : "kafka-memory.measured: peak working set (VmHWM) of the consumer process, from its start until the last message is handled, own process per drain, broker in another");
        Console.WriteLine($"kafka-memory.peak_{Label(small)}: {smallPeak:F0} MB (highest of {rounds}; median {smallMedian:F0} MB)");
        Console.WriteLine($"kafka-memory.peak_{Label(large)}: {largePeak:F0} MB (highest of {rounds}; median {largeMedian:F0} MB)");
        Console.WriteLine(
            $"ratio.peak_{Label(large)}_vs_{Label(small)}: {largePeak / smallPeak:F2} x (highest vs highest; median vs median {largeMedian / smallMedian:F2} x; target <= 1.10, both < 300 MB)");
        KafkaBench.PrintLoad("kafka-memory.end");
        return 0;
    }

    private static string Label(int messages) => messages % 1000 == 0 ? $"{messages / 1000}k" : messages.ToString(CultureInfo.InvariantCulture);

    private static void Print(string name, Drain drain) =>
        Console.WriteLine(
            $"{name}: peak {drain.PeakBytes / 1e6:F0} MB (GC committed after the drain {drain.GcCommittedBytes / 1e6:F0} MB, live heap after the drain {drain.LiveHeapBytes / 1e6:F1} MB, " +
            $"{drain.AllocatedBytes / (double)drain.Messages:F0} B allocated per message), " +
            $"{drain.Messages / drain.Seconds:F0} msg/s, {drain.Seconds:F2} s, CPU {drain.CpuSeconds:F2} s, backpressure pauses {drain.Pauses}");

    private static async Task<Drain> DrainInChildAsync(string bootstrap, string topic, string group, int messages, int maxBuffered, IReadOnlyDictionary<string, string> kafka, bool trace, int warm)
    {
        string[] args =
        [
            "kafka-drain", "--bootstrap", bootstrap, "--topic", topic, "--group", group,
            "--messages", messages.ToString(CultureInfo.InvariantCulture),
            "--max-buffered", maxBuffered.ToString(CultureInfo.InvariantCulture),
            .. KafkaBench.ForwardKafkaOverrides(kafka),
            .. trace ? new[] { "--trace" } : [],
            .. warm > 0 ? new[] { "--warm", warm.ToString(CultureInfo.InvariantCulture) } : [],
        ];
        var values = await KafkaBench.RunChildAsync(args, $"The drain of {topic}");
        return new Drain(
            messages, (long)values["peak_working_set_bytes"], (long)values["gc_committed_bytes"], (long)values["live_heap_bytes"],
            (long)values["allocated_bytes"], values["seconds"], values["cpu_seconds"], (int)values["pauses"]);
    }

    /// <summary>The child side: drains <c>--messages</c> messages with a Tmq consumer, then reports its own peak working set.</summary>
    public static async Task<int> RunDrainChildAsync(string[] args)
    {
        var bootstrap = Args.Text(args, "--bootstrap") ?? throw new ArgumentException("--bootstrap is required");
        var topic = Args.Text(args, "--topic") ?? throw new ArgumentException("--topic is required");
        var group = Args.Text(args, "--group") ?? throw new ArgumentException("--group is required");
        var messages = Args.Int(args, "--messages", 0);
        var maxBuffered = Args.Int(args, "--max-buffered", 10_000);
        var settings = new Dictionary<string, string?>
        {
            ["Ordering"] = "Key",
            ["MaxBufferedMessages"] = maxBuffered.ToString(CultureInfo.InvariantCulture),
        };
        using var trace = args.Contains("--trace") ? StartTrace(topic) : null;
        var warm = Args.Int(args, "--warm", 0);
        var allocatedBefore = 0L;
        if (warm > 0)
        {
            await KafkaBench.RunTmqAsync(
                bootstrap, "warm-up", group + "-warm", warm, TimeSpan.Zero, settings, KafkaBench.KafkaOverrides(args), TimeSpan.FromMinutes(3));
            ResetPeak();
            allocatedBefore = GC.GetTotalAllocatedBytes();
        }

        // Read when the last message is handled, while the consumer still runs: the peak so far, then
        // the live heap after a full GC (what the consumer keeps however many messages went through).
        var peakBytes = 0L;
        var liveBytes = 0L;
        var committedBytes = 0L;
        var result = await KafkaBench.RunTmqAsync(
            bootstrap, topic, group, messages, TimeSpan.Zero, settings, KafkaBench.KafkaOverrides(args), TimeSpan.FromMinutes(3),
            whileRunning: () =>
            {
                peakBytes = KafkaBench.PeakWorkingSetBytes();
                committedBytes = GC.GetGCMemoryInfo().TotalCommittedBytes;
                liveBytes = GC.GetTotalMemory(forceFullCollection: true);
            });
        Console.WriteLine($"peak_working_set_bytes {peakBytes}");
        Console.WriteLine($"gc_committed_bytes {committedBytes}");
        Console.WriteLine($"seconds {result.Elapsed.TotalSeconds.ToString(CultureInfo.InvariantCulture)}");
        Console.WriteLine($"cpu_seconds {result.CpuSeconds.ToString(CultureInfo.InvariantCulture)}");
        Console.WriteLine($"pauses {result.Pauses ?? 0}");
        Console.WriteLine($"live_heap_bytes {liveBytes}");
        Console.WriteLine($"allocated_bytes {GC.GetTotalAllocatedBytes() - allocatedBefore}");
        return 0;
    }

    /// <summary>Starts the peak working set (VmHWM) afresh from the current working set (Linux: clear_refs 5).</summary>
    private static void ResetPeak() => File.WriteAllText("/proc/self/clear_refs", "5");

    /// <summary>With <c>--trace</c> (passed on by the parent), samples this process's memory every 20 ms to stderr.</summary>
    private static Timer StartTrace(string topic)
    {
        var start = System.Diagnostics.Stopwatch.GetTimestamp();
        return new Timer(
            _ =>
            {
                var rss = (KafkaBench.StatusBytes("VmRSS:") ?? 0) / 1_000_000;
                var gc = GC.GetGCMemoryInfo();
                var m = MallInfo2();
                Console.Error.WriteLine(
                    $"trace {topic} t={System.Diagnostics.Stopwatch.GetElapsedTime(start).TotalSeconds:F1}s rss={rss}MB " +
                    $"gc_heap={GC.GetTotalMemory(false) / 1_000_000}MB gc_committed={gc.TotalCommittedBytes / 1_000_000}MB gen0={GC.CollectionCount(0)} gen2={GC.CollectionCount(2)} " +
                    $"after_last_gc(gen0..poh)={string.Join("/", Enumerable.Range(0, gc.GenerationInfo.Length).Select(g => gc.GenerationInfo[g].SizeAfterBytes / 1_000_000))}MB " +
                    $"threads={System.Diagnostics.Process.GetCurrentProcess().Threads.Count} pool_threads={ThreadPool.ThreadCount} pool_queued={ThreadPool.PendingWorkItemCount} pool_items_done={ThreadPool.CompletedWorkItemCount} " +
                    $"malloc_arena={m.Arena / 1_000_000}MB malloc_mmap={m.Hblkhd / 1_000_000}MB malloc_used={m.Uordblks / 1_000_000}MB malloc_free={m.Fordblks / 1_000_000}MB");
            },
            null,
            TimeSpan.Zero,
            TimeSpan.FromMilliseconds(20));
    }

    [System.Runtime.InteropServices.DllImport("libc", EntryPoint = "mallinfo2")]
    private static extern MallInfo MallInfo2();

    [System.Runtime.InteropServices.StructLayout(System.Runtime.InteropServices.LayoutKind.Sequential)]
    private readonly struct MallInfo
    {
        public readonly nuint Arena, Ordblks, Smblks, Hblks, Hblkhd, Usmblks, Fsmblks, Uordblks, Fordblks, Keepcost;
    }

    private readonly record struct Drain(int Messages, long PeakBytes, long GcCommittedBytes, long LiveHeapBytes, long AllocatedBytes, double Seconds, double CpuSeconds, int Pauses);
}
