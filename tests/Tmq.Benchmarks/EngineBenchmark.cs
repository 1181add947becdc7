using System.Diagnostics;
using System.Threading.Channels;
using Tmq;

namespace Tmq.Benchmarks;

/// <summary>
/// The dispatch engine through the in-memory transport: a no-op handler, Key ordering, 10,000
/// keys over 16 partitions. Baseline: the same messages through an unordered Channel with the
/// same number of reader loops, the least a hand-written dispatcher would do.
/// </summary>
/// <remarks>
/// Both sides swing between sittings on a shared machine (the baseline printed 1.8 M to 9 M msg/s
/// in one hour here), so they run in alternating rounds (<c>--rounds</c>, default 5; channel first
/// in odd rounds, engine first in even ones) and the ratio is the median of the rounds' ratios, each
/// taken from two runs seconds apart. <c>--only engine|channel</c> runs one side, for a profiler.
/// </remarks>
internal static class EngineBenchmark
{
    private const int Keys = 10_000;
    private const int Partitions = 16;

    public static async Task<int> RunAsync(string[] args)
    {
        var messages = Args.Int(args, "--messages", 2_000_000);
        var rounds = Args.Int(args, "--rounds", 5);
        var only = Args.Text(args, "--only");
        var keys = Enumerable.Range(0, Keys).Select(i => (ReadOnlyMemory<byte>)System.Text.Encoding.UTF8.GetBytes($"key-{i:D5}")).ToArray();
        var value = new byte[100];
        var options = new ConsumerOptions { Topic = "bench" };
        var runEngine = only is null or "engine";
        var runChannel = only is null or "channel";

        // Warm up both paths so tiering, the thread pool and the GC's budgets settle before measuring:
        // after a tenth-size warm-up the first measured rounds of both sides ran up to 3x slower than the later ones.
        if (runEngine)
        {
            await RunEngineAsync(keys, value, options, messages);
        }

        if (runChannel)
        {
            await RunChannelAsync(keys, value, options.Concurrency, messages);
        }

        var messageBytes = MeasureMessageBytes(keys, value);
        var engine = new List<Result>();
        var baseline = new List<Result>();
        for (var round = 1; round <= rounds; round++)
        {
            if (runChannel && round % 2 == 1)
            {
                baseline.Add(await RunChannelAsync(keys, value, options.Concurrency, messages));
            }

            if (runEngine)
            {
                engine.Add(await RunEngineAsync(keys, value, options, messages));
            }

            if (runChannel && round % 2 == 0)
            {
                baseline.Add(await RunChannelAsync(keys, value, options.Concurrency, messages));
            }

            var line = $"engine.round {round}:";
            if (runEngine)
            {
                line += $" engine {engine[^1].Rate(messages):F0} msg/s, {engine[^1].CpuPerMessage(messages):F3} us CPU/msg;";
            }

            if (runChannel)
            {
                line += $" channel {baseline[^1].Rate(messages):F0} msg/s, {baseline[^1].CpuPerMessage(messages):F3} us CPU/msg;";
            }

            if (runEngine && runChannel)
            {
                line += $" ratio {engine[^1].Rate(messages) / baseline[^1].Rate(messages):F2} x";
            }

            Console.WriteLine($"{line} pool threads {ThreadPool.ThreadCount}, gen0 {GC.CollectionCount(0)}, gen1 {GC.CollectionCount(1)}, gen2 {GC.CollectionCount(2)}");
        }

        Console.WriteLine($"engine.messages: {messages} messages, {rounds} rounds");
        Console.WriteLine($"engine.concurrency: {options.Concurrency} workers");
        if (runEngine)
        {
            Console.WriteLine($"engine.throughput: {KafkaBench.Median(engine.Select(r => r.Rate(messages))):F0} msg/s (median)");
            Console.WriteLine($"engine.cpu_per_message: {KafkaBench.Median(engine.Select(r => r.CpuPerMessage(messages))):F3} us (median; whole process)");
            Console.WriteLine($"engine.allocated_per_message_beyond_message: {KafkaBench.Median(engine.Select(r => r.AllocatedBytes / (double)messages)) - messageBytes:F1} B (median)");
        }

        Console.WriteLine($"engine.message_object_size: {messageBytes:F1} B");
        if (runChannel)
        {
            Console.WriteLine($"baseline.channel_unordered.throughput: {KafkaBench.Median(baseline.Select(r => r.Rate(messages))):F0} msg/s (median)");
            Console.WriteLine($"baseline.channel_unordered.cpu_per_message: {KafkaBench.Median(baseline.Select(r => r.CpuPerMessage(messages))):F3} us (median; whole process)");
            Console.WriteLine($"baseline.channel_unordered.allocated_per_message_beyond_message: {KafkaBench.Median(baseline.Select(r => r.AllocatedBytes / (double)messages)) - messageBytes:F1} B (median)");
        }

        if (runEngine && runChannel)
        {
            var ratios = engine.Zip(baseline, (e, b) => e.Rate(messages) / b.Rate(messages)).ToList();
            Console.WriteLine($"ratio.engine_vs_channel: {KafkaBench.Median(ratios):F2} x (median of {rounds} rounds; {ratios.Min():F2}-{ratios.Max():F2}; target >= 0.5)");
        }

        return 0;
    }

    private static async Task<Result> RunEngineAsync(ReadOnlyMemory<byte>[] keys, byte[] value, ConsumerOptions options, int messages)
    {
        var handler = new NoOpHandler();
        await using var consumer = new InMemoryConsumer(handler, options, partitions: Partitions) { KeepHandled = false };
        await consumer.StartAsync();
        GC.Collect();
        var allocated = GC.GetTotalAllocatedBytes(precise: true);
        var cpu = Process.GetCurrentProcess().TotalProcessorTime;
        var watch = Stopwatch.StartNew();
        for (var i = 0; i < messages; i++)
        {
            await consumer.PublishAsync(keys[i % keys.Length], value);
        }

        await consumer.WaitForIdleAsync(TimeSpan.FromMinutes(5));
        watch.Stop();
        var result = new Result(watch.Elapsed, Process.GetCurrentProcess().TotalProcessorTime - cpu, GC.GetTotalAllocatedBytes(precise: true) - allocated);
        if (consumer.HandledCount != messages)
        {
            throw new InvalidOperationException($"handled {consumer.HandledCount} of {messages}");
        }

        return result;
    }

    private static async Task<Result> RunChannelAsync(ReadOnlyMemory<byte>[] keys, byte[] value, int readers, int messages)
    {
        var channel = Channel.CreateBounded<TmqMessage>(new BoundedChannelOptions(10_000) { SingleWriter = true });
        var handler = new NoOpHandler();
        GC.Collect();
        var allocated = GC.GetTotalAllocatedBytes(precise: true);
        var cpu = Process.GetCurrentProcess().TotalProcessorTime;
        var watch = Stopwatch.StartNew();
        var loops = Enumerable.Range(0, readers).Select(_ => Task.Run(async () =>
        {
            await foreach (var message in channel.Reader.ReadAllAsync())
            {
                await handler.HandleAsync(message, CancellationToken.None);
            }
        })).ToArray();
        for (var i = 0; i < messages; i++)
        {
            var key = keys[i % keys.Length];
            await channel.Writer.WriteAsync(new TmqMessage("bench", key, value) { Partition = i % Partitions, Offset = i });
        }

        channel.Writer.Complete();
        await Task.WhenAll(loops);
        watch.Stop();
        return new Result(watch.Elapsed, Process.GetCurrentProcess().TotalProcessorTime - cpu, GC.GetTotalAllocatedBytes(precise: true) - allocated);
    }

    private static double MeasureMessageBytes(ReadOnlyMemory<byte>[] keys, byte[] value)
    {
        const int count = 100_000;
        var keep = new TmqMessage[count];
        var before = GC.GetTotalAllocatedBytes(precise: true);
        for (var i = 0; i < count; i++)
        {
            keep[i] = new TmqMessage("bench", keys[i % keys.Length], value) { Partition = i % Partitions, Offset = i };
        }

        var bytes = GC.GetTotalAllocatedBytes(precise: true) - before;
        GC.KeepAlive(keep);
        return bytes / (double)count;
    }

    private readonly record struct Result(TimeSpan Elapsed, TimeSpan Cpu, long AllocatedBytes)
    {
        public double Rate(int messages) => messages / Elapsed.TotalSeconds;

        public double CpuPerMessage(int messages) => Cpu.TotalMicroseconds / messages;
    }

    private sealed class NoOpHandler : IMessageHandler
    {
        public Task HandleAsync(TmqMessage message, CancellationToken cancellationToken) => Task.CompletedTask;
    }
}
