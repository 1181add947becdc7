using System.Globalization;

namespace Tmq.Benchmarks;

/// <summary>
/// <c>nsq</c>: the project's NSQ producer and consumer against one nsqd, 200-byte messages, with
/// NSQ's own Go tools (bench_writer, bench_reader) on the same nsqd in the same sitting as the baseline.
/// Publish: MPUB batches of 200 from a few concurrent publishers (what bench_writer sends), and single
/// PUBs from many concurrent senders. Consume: <c>AddTmqNsqConsumer</c> in a generic host (no-op handler,
/// MaxInFlight 2,500, default Concurrency) draining an N-message backlog, Ordering None and Key.
/// Memory: the consumer process's peak draining 1,000,000 vs 250,000 messages (<see cref="NsqMemoryBenchmark"/>).
/// </summary>
/// <remarks>
/// Options: <c>--messages</c> (1,000,000 single PUBs, then consumed with Ordering Key), <c>--publish-for</c>
/// (each Tmq MPUB run's length, by default bench_writer's <c>--runfor</c>; the first run's messages are
/// then consumed with Ordering None), <c>--nsqd host:port</c> and
/// <c>--nsqd-http URL</c> (an nsqd already running; default: nsqd from the Go tools' folder, else the
/// in-process dev nsqd), <c>--go-bench DIR</c> (default /opt/nsq/bin when it exists), <c>--runfor</c>
/// (10s, each Go tool run), <c>--publishers</c> (4), <c>--senders</c> (128), <c>--rounds</c> (publish rounds, 2; each is one
/// Tmq MPUB run on a fresh topic followed by one bench_writer run, and the ratio reported is the
/// median of the rounds' ratios, since a single pair moves by 10-20% with the machine), <c>--warmup</c> (50,000,
/// not reported), <c>--small</c>/<c>--large</c> (250,000/1,000,000), <c>--only publish</c> (the publish runs
/// and bench_writer alone, to iterate on the producer in a third of the time). Order: the publish rounds,
/// the single PUBs, consume, bench_reader, memory, so that each pair runs close together. Every topic gets its channel
/// before publishing, as bench_writer's topic does, so messages flow to the channel (and, past nsqd's
/// 10,000-message memory queue, to its disk queue) while they are published; after each publish run
/// the next step waits until nsqd has moved all of it from the topic's queue into the channel.
/// </remarks>
internal static class NsqBenchmark
{
    /// <summary>bench_reader's default <c>--rdy</c>; the consumer's MaxInFlight in every run here.</summary>
    public const int MaxInFlight = 2_500;

    private const string GoTopic = "bench-go";

    public static async Task<int> RunAsync(string[] args)
    {
        var messages = Args.Int(args, "--messages", 1_000_000);
        NsqRuns.Connections = Args.Int(args, "--connections", 1);
        var publishers = Args.Int(args, "--publishers", 4);
        var senders = Args.Int(args, "--senders", 128);
        var rounds = Args.Int(args, "--rounds", 2);
        var warmup = Args.Int(args, "--warmup", 50_000);
        var small = Args.Int(args, "--small", 250_000);
        var large = Args.Int(args, "--large", 1_000_000);
        var runfor = Args.Text(args, "--runfor") ?? "10s";
        var publishFor = GoNsqBench.ParseDuration(Args.Text(args, "--publish-for") ?? runfor);
        GoNsqBench.ParseDuration(runfor);
        var only = Args.Text(args, "--only");
        if (only is not (null or "publish"))
        {
            throw new ArgumentException($"--only is \"{only}\"; the one part that runs alone is publish.");
        }

        if (rounds < 1)
        {
            throw new ArgumentException($"--rounds is {rounds}; at least one publish round runs.");
        }

        var consume = only is null;
        var timeout = TimeSpan.FromMinutes(5);
        var (goBench, goMissing) = GoNsqBench.Locate(Args.Text(args, "--go-bench"));

        KafkaBench.PrintLoad("nsq.start");
        await using var server = await NsqServer.StartAsync(Args.Text(args, "--nsqd"), Args.Text(args, "--nsqd-http"), goBench);
        var nsqd = server.TcpAddress;
        Console.WriteLine($"nsq.nsqd: {server.Description}");
        Console.WriteLine($"nsq.messages: {messages} x {NsqRuns.MessageSize} B per run; Tmq producer and consumer with {NsqRuns.Connections} connection(s) per nsqd (--connections)");
        var plain = new[] { NsqRuns.PlainBody() };
        var keyed = NsqRuns.KeyedBodies();

        await using var producer = NsqRuns.Producer(nsqd);
        if (warmup > 0)
        {
            // JIT, pools and the producer's connection; not reported.
            await server.CreateAsync("bench-warmup", NsqRuns.Channel);
            await NsqRuns.PublishBatchesAsync(server, producer, "bench-warmup", warmup, publishers, plain);
            await NsqRuns.PublishSinglesAsync(server, producer, "bench-warmup", warmup / 10, senders, keyed);
            await server.SettleAsync("bench-warmup");
            if (consume)
            {
                await NsqRuns.ConsumeAsync(server, nsqd, "bench-warmup", warmup + (warmup / 10), "None", MaxInFlight, timeout);
            }

            await server.DeleteAsync("bench-warmup");
        }

        // Alternating rounds: a Tmq MPUB run on a fresh topic, then a bench_writer run, so that each
        // pair sees the same machine. The first round's topic stays as the consume runs' backlog; the
        // bench_writer runs all write one topic, bench_reader's backlog.
        var mpubs = new List<NsqRuns.RunResult>();
        var writes = new List<GoNsqBench.Result>();
        if (goMissing is null)
        {
            await server.CreateAsync(GoTopic, NsqRuns.Channel);
        }

        for (var round = 1; round <= rounds; round++)
        {
            var topic = round == 1 ? "bench-mpub" : $"bench-mpub-{round}";
            await server.CreateAsync(topic, NsqRuns.Channel);
            var run = await NsqRuns.PublishBatchesForAsync(server, producer, topic, publishFor, publishers, plain);
            Print($"nsq.publish.mpub.run{round}", run, $"MPUB batches of {NsqRuns.BatchSize}, {publishers} concurrent publishers over the producer's {NsqRuns.Connections} connection(s)", server, await server.SettleAsync(topic));
            mpubs.Add(run);
            if (round > 1)
            {
                await server.DeleteAsync(topic);
            }

            if (goMissing is null)
            {
                var cpu = server.CpuSeconds;
                var write = await GoNsqBench.WriteAsync(goBench!, nsqd, GoTopic, runfor);
                var nsqdCpu = NsqdCpu(server, cpu, write);
                var settled = await server.SettleAsync(GoTopic);
                Console.WriteLine($"nsq.bench_writer.run{round}: {write.Rate:F0} msg/s ({write.Summary}{nsqdCpu}{Settled(settled)})");
                writes.Add(write);
            }
        }

        var mpub = mpubs[0];
        await server.CreateAsync("bench-pub", NsqRuns.Channel);
        var pub = await NsqRuns.PublishSinglesAsync(server, producer, "bench-pub", messages, senders, keyed);
        Print("nsq.publish.pub", pub, $"one PUB per SendAsync, {senders} concurrent senders, bodies are envelopes of {KafkaBench.KeyCount} keys", server, await server.SettleAsync("bench-pub"));

        if (!consume)
        {
            PrintPublish(mpubs, pub, server);
            if (goMissing is null)
            {
                PrintWriterBaseline(writes, mpubs, runfor);
            }

            KafkaBench.PrintLoad("nsq.end");
            return 0;
        }

        var none = await NsqRuns.ConsumeAsync(server, nsqd, "bench-mpub", mpub.Messages, "None", MaxInFlight, timeout);
        Print("nsq.consume.none", none, $"Ordering None, MaxInFlight {MaxInFlight}, from host start until the last of the {mpub.Messages} messages the first publish round left is handled", server);
        await CheckDrainedAsync(server, "bench-mpub");
        var key = await NsqRuns.ConsumeAsync(server, nsqd, "bench-pub", messages, "Key", MaxInFlight, timeout);
        Print("nsq.consume.key", key, $"Ordering Key ({KafkaBench.KeyCount} keys), otherwise the same", server);
        await CheckDrainedAsync(server, "bench-pub");

        GoNsqBench.Result? read = null;
        var backlog = 0L;
        if (goMissing is null)
        {
            backlog = (await server.ChannelStatsAsync(GoTopic, NsqRuns.Channel))?.Backlog ?? 0;
            var cpu = server.CpuSeconds;
            read = await GoNsqBench.ReadAsync(goBench!, nsqd, GoTopic, NsqRuns.Channel, MaxInFlight, runfor);
            Console.WriteLine($"nsq.bench_reader.run: {read.Value.Rate:F0} msg/s ({read.Value.Summary}{NsqdCpu(server, cpu, read.Value)})");
            await server.DeleteAsync(GoTopic);
        }

        await NsqMemoryBenchmark.RunAsync(server, "None", MaxInFlight, small, large, publishers);

        PrintPublish(mpubs, pub, server);
        Console.WriteLine($"nsq.consume.none.throughput: {none.Rate:F0} msg/s (host start to last message; steady {none.SteadyRate:F0} msg/s)");
        Console.WriteLine($"nsq.consume.key.throughput: {key.Rate:F0} msg/s (host start to last message; steady {key.SteadyRate:F0} msg/s)");
        PrintCpu("nsq.consume.none", none, server);
        PrintCpu("nsq.consume.key", key, server);
        if (goMissing is not null)
        {
            Console.WriteLine($"nsq.baseline: skipped ({goMissing}); pass --go-bench DIR with bench_writer and bench_reader");
        }
        else
        {
            PrintBaseline(writes, read!.Value, backlog, mpubs, none, runfor);
        }

        if (server.InProcess)
        {
            Console.WriteLine("nsq.note: figures are against the in-process dev nsqd (it shares this process and its CPU), not comparable to BENCHMARKS.md");
        }

        KafkaBench.PrintLoad("nsq.end");
        return 0;
    }

    private static void PrintBaseline(List<GoNsqBench.Result> writes, GoNsqBench.Result read, long backlog, List<NsqRuns.RunResult> mpubs, NsqRuns.RunResult none, string runfor)
    {
        var workers = Environment.ProcessorCount;
        var ranDry = read.Messages > backlog - (2L * workers * MaxInFlight);
        Console.WriteLine(
            $"nsq.baseline.measured: bench_writer = {workers} workers (GOMAXPROCS), a connection each, one MPUB of {NsqRuns.BatchSize} x {NsqRuns.MessageSize} B in flight per worker, for --runfor={runfor}, once per round on one topic; " +
            $"bench_reader = {workers} workers, a connection each, RDY {MaxInFlight} each, FIN per message, reading for --runfor={runfor} from the backlog the bench_writer runs left ({backlog} messages); " +
            $"Tmq publish = the producer's {NsqRuns.Connections} connection(s); Tmq consume = {NsqRuns.Connections} connection(s), MaxInFlight {MaxInFlight}, draining its {none.Messages}-message backlog, " +
            $"compared by its steady rate (first message handled to the {none.SteadyEnd}th: no connecting, and not the wait for nsqd's last partial output buffer, flushed after up to 250 ms, that bench_reader never reaches)");
        PrintWriterBaseline(writes, mpubs, runfor);
        Console.WriteLine(
            $"nsq.bench_reader.throughput: {read.Rate:F0} msg/s (read about {read.Messages} of {backlog} backlogged" +
            (ranDry ? "; it may have run dry, which makes this figure low: raise --runfor for bench_writer's backlog or compare with care)" : "; it never ran dry)"));
        Console.WriteLine($"consume-vs-bench_reader: {none.SteadyRate / read.Rate:F2}x (Tmq consumer's steady rate, Ordering None, vs bench_reader; end to end {none.Rate / read.Rate:F2}x)");
    }

    private static void PrintPublish(List<NsqRuns.RunResult> mpubs, NsqRuns.RunResult pub, NsqServer server)
    {
        Console.WriteLine($"nsq.publish.mpub.throughput: {mpubs.Average(static m => m.Rate):F0} msg/s (mean of {mpubs.Count} rounds: {Rates(mpubs.Select(static m => m.Rate))})");
        Console.WriteLine($"nsq.publish.pub.throughput: {pub.Rate:F0} msg/s");
        for (var round = 0; round < mpubs.Count; round++)
        {
            PrintCpu($"nsq.publish.mpub.run{round + 1}", mpubs[round], server);
        }

        PrintCpu("nsq.publish.pub", pub, server);
    }

    private static void PrintWriterBaseline(List<GoNsqBench.Result> writes, List<NsqRuns.RunResult> mpubs, string runfor)
    {
        var ratios = mpubs.Zip(writes, static (m, w) => m.Rate / w.Rate).ToList();
        Console.WriteLine($"nsq.bench_writer.throughput: {writes.Average(static w => w.Rate):F0} msg/s (mean of {writes.Count} runs of --runfor={runfor}: {Rates(writes.Select(static w => w.Rate))})");
        Console.WriteLine($"publish-vs-bench_writer: {Median(ratios):F2}x (median of the {ratios.Count} rounds' Tmq MPUB / bench_writer: {string.Join(", ", ratios.Select(static r => r.ToString("F2", CultureInfo.InvariantCulture) + "x"))}; mean vs mean {mpubs.Average(static m => m.Rate) / writes.Average(static w => w.Rate):F2}x)");
    }

    private static string Rates(IEnumerable<double> rates) =>
        string.Join(", ", rates.Select(static r => r.ToString("F0", CultureInfo.InvariantCulture)));

    private static double Median(List<double> values)
    {
        var sorted = values.Order().ToList();
        var middle = sorted.Count / 2;
        return sorted.Count % 2 == 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
    }

    private static async Task CheckDrainedAsync(NsqServer server, string topic)
    {
        // nsqd may still be reading the last FINs when the consumer's host has stopped: give it a moment.
        var left = await server.ChannelStatsAsync(topic, NsqRuns.Channel);
        for (var wait = 0; wait < 20 && left is { Backlog: > 0 }; wait++)
        {
            await Task.Delay(100);
            left = await server.ChannelStatsAsync(topic, NsqRuns.Channel);
        }

        if (left is not { Backlog: 0, Requeued: 0, TimedOut: 0 })
        {
            Console.WriteLine($"nsq.warning: the consumer handled as many messages as {topic} had and stopped, but its channel shows {left?.ToString() ?? "nothing"}: FINs lost, or redeliveries counted as new");
        }

        await server.DeleteAsync(topic);
    }

    /// <summary>
    /// A Go tool's CPU per message and nsqd's over the same run (up to the tool's exit, not the settling
    /// after it), as the Tmq runs' figures are taken.
    /// </summary>
    private static string NsqdCpu(NsqServer server, double? before, GoNsqBench.Result run) =>
        $"; CPU per message {run.CpuMicrosPerMessage:F2} us in the tool" +
        (server.CpuSeconds - before is { } used && run.Messages > 0 ? $", {used / run.Messages * 1e6:F2} us in nsqd" : string.Empty);

    private static string Settled(TimeSpan settled) =>
        settled > TimeSpan.FromMilliseconds(100) ? $"; nsqd then moved the rest of the topic's queue into the channel for {settled.TotalSeconds:F1} s more (waited for, not counted)" : string.Empty;

    private static void Print(string name, NsqRuns.RunResult result, string what, NsqServer server, TimeSpan? settled = null) =>
        Console.WriteLine($"{name}: {result.Rate:F0} msg/s ({what}; {result.Describe(server.InProcess)}{Settled(settled ?? TimeSpan.Zero)})");

    private static void PrintCpu(string name, NsqRuns.RunResult result, NsqServer server) =>
        Console.WriteLine(
            $"{name}.cpu_per_message: {result.CpuMicrosPerMessage:F2} us (this process{(server.InProcess ? ", dev nsqd included" : string.Empty)}" +
            (result.ServerCpuSeconds is { } nsqd ? $"; nsqd {nsqd / result.Messages * 1e6:F2} us)" : ")"));
}
