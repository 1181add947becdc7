using System.Diagnostics;
using System.Threading.Channels;
using Tmq;
using Tmq.Dispatch;

namespace Tmq.Benchmarks;

/// <summary>
/// The dispatch engine: a no-op handler, Key ordering, 10,000 keys over 16 partitions. Baseline:
/// the same messages through an unordered Channel with the same number of reader loops, the least
/// a hand-written dispatcher would do.
/// </summary>
/// <remarks>
/// <para>Both sides are fed the same way a transport's fetch loop feeds the engine: one thread builds
/// each message (the same fields on both sides) and hands it over, waiting while the buffer is full
/// (the engine's <c>HasCapacityFor</c> and low-water signal; the channel's bounded write). A third
/// column feeds the engine through <see cref="InMemoryConsumer.PublishAsync(ReadOnlyMemory{byte}, ReadOnlyMemory{byte}, TmqHeaders?, CancellationToken)"/>
/// as the benchmark did before: that also counts the in-memory transport's own work (its lock, the
/// partition hash, a clock read for the timestamp, recording each outcome), which the channel does not do.</para>
/// <para>All sides swing between sittings on a shared machine (the baseline printed 1.8 M to 13 M msg/s
/// within an hour here), so they run in alternating rounds (<c>--rounds</c>, default 5; the order turns
/// each round) and each ratio is the median of the rounds' ratios, each from runs seconds apart.
/// <c>--only engine|consumer|channel</c> runs one side, for a profiler.</para>
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
        var sides = new List<Side>
        {
            new("engine", "engine", () => RunEngineAsync(keys, value, options, messages)),
            new("consumer", "engine.in_memory_consumer", () => RunConsumerAsync(keys, value, options, messages)),
            new("channel", "baseline.channel_unordered", () => RunChannelAsync(keys, value, options.Concurrency, messages)),
        };
        sides.RemoveAll(side => only is not null && side.Option != only);

        // Warm up every side so tiering, the thread pool and the GC's budgets settle before measuring:
        // after a tenth-size warm-up the first measured rounds ran up to 3x slower than the later ones.
        foreach (var side in sides)
        {
            await side.Run();
        }

        var messageBytes = MeasureMessageBytes(keys, value);
        for (var round = 1; round <= rounds; round++)
        {
            var order = round % 2 == 1 ? sides : Enumerable.Reverse(sides);
            foreach (var side in order)
            {
                side.Results.Add(await side.Run());
            }

            var line = string.Join("; ", sides.Select(side => $"{side.Option} {side.Results[^1].Rate(messages):F0} msg/s, {side.Results[^1].CpuPerMessage(messages):F3} us CPU/msg"));
            Console.WriteLine($"engine.round {round}: {line}; pool threads {ThreadPool.ThreadCount}, gen0 {GC.CollectionCount(0)}, gen1 {GC.CollectionCount(1)}, gen2 {GC.CollectionCount(2)}");
        }

        Console.WriteLine($"engine.messages: {messages} messages, {rounds} rounds");
        Console.WriteLine($"engine.concurrency: {options.Concurrency} workers");
        Console.WriteLine($"engine.message_object_size: {messageBytes:F1} B");
        foreach (var side in sides)
        {
            Console.WriteLine($"{side.Name}.throughput: {KafkaBench.Median(side.Results.Select(r => r.Rate(messages))):F0} msg/s (median)");
            Console.WriteLine($"{side.Name}.cpu_per_message: {KafkaBench.Median(side.Results.Select(r => r.CpuPerMessage(messages))):F3} us (median; whole process)");
            Console.WriteLine($"{side.Name}.allocated_per_message_beyond_message: {KafkaBench.Median(side.Results.Select(r => r.AllocatedBytes / (double)messages)) - messageBytes:F1} B (median)");
        }

        if (sides.Find(side => side.Option == "channel") is { } channel)
        {
            foreach (var side in sides.Where(side => side != channel))
            {
                var ratios = side.Results.Zip(channel.Results, (s, c) => s.Rate(messages) / c.Rate(messages)).ToList();
                var name = side.Option == "engine" ? "ratio.engine_vs_channel" : "ratio.in_memory_consumer_vs_channel";
                var target = side.Option == "engine" ? "; target >= 0.5" : string.Empty;
                Console.WriteLine($"{name}: {KafkaBench.Median(ratios):F2} x (median of {rounds} rounds; {ratios.Min():F2}-{ratios.Max():F2}{target})");
            }
        }

        return 0;
    }

    /// <summary>The message both sides build for the <paramref name="index"/>-th delivery: a key's partition never changes (10,000 keys over 16 partitions), offsets rise per partition.</summary>
    private static TmqMessage NewMessage(ReadOnlyMemory<byte>[] keys, byte[] value, long[] offsets, int index)
    {
        var partition = index % Partitions;
        return new TmqMessage("bench", keys[index % keys.Length], value) { Partition = partition, Offset = offsets[partition]++ };
    }

    /// <summary>Drives the engine as a transport's fetch loop does: enqueue while there is room, wait for the low-water signal otherwise.</summary>
    private static async Task<Result> RunEngineAsync(ReadOnlyMemory<byte>[] keys, byte[] value, ConsumerOptions options, int messages)
    {
        var transport = new BenchTransport(messages);
        using var engine = new DispatchEngine(new EngineSettings
        {
            Name = "bench",
            Handler = new NoOpHandler(),
            DeadLetters = transport,
            Transport = transport,
            Options = () => options,
        });
        transport.Engine = engine;
        var partitions = Enumerable.Range(0, Partitions).Select(p => engine.AddPartition("bench", p)).ToArray();
        var offsets = new long[Partitions];
        engine.Start();
        GC.Collect();
        var allocated = GC.GetTotalAllocatedBytes(precise: true);
        var cpu = Process.GetCurrentProcess().TotalProcessorTime;
        var watch = Stopwatch.StartNew();
        for (var i = 0; i < messages; i++)
        {
            var message = NewMessage(keys, value, offsets, i);
            var partition = partitions[message.Partition];
            while (true)
            {
                var capacity = transport.Capacity;
                if (engine.HasCapacityFor(partition))
                {
                    break;
                }

                await capacity;
            }

            engine.Enqueue(partition, message);
        }

        await transport.Done;
        watch.Stop();
        var result = new Result(watch.Elapsed, Process.GetCurrentProcess().TotalProcessorTime - cpu, GC.GetTotalAllocatedBytes(precise: true) - allocated);
        await engine.StopAsync(TimeSpan.FromSeconds(30));
        return result;
    }

    /// <summary>The engine through the in-memory transport's publish API.</summary>
    private static async Task<Result> RunConsumerAsync(ReadOnlyMemory<byte>[] keys, byte[] value, ConsumerOptions options, int messages)
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
        var offsets = new long[Partitions];
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
            await channel.Writer.WriteAsync(NewMessage(keys, value, offsets, i));
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
        var offsets = new long[Partitions];
        var before = GC.GetTotalAllocatedBytes(precise: true);
        for (var i = 0; i < count; i++)
        {
            keep[i] = NewMessage(keys, value, offsets, i);
        }

        var bytes = GC.GetTotalAllocatedBytes(precise: true) - before;
        GC.KeepAlive(keep);
        return bytes / (double)count;
    }

    private sealed record Side(string Option, string Name, Func<Task<Result>> Run)
    {
        public List<Result> Results { get; } = [];
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

    /// <summary>What a transport that commits positions needs of the engine here: the low-water signal, and knowing when all have settled.</summary>
    private sealed class BenchTransport(int messages) : IDispatchTransport, IDeadLetterSink
    {
        private readonly TaskCompletionSource _done = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private TaskCompletionSource _capacity = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public DispatchEngine? Engine { get; set; }

        public Task Capacity => Volatile.Read(ref _capacity).Task;

        public Task Done => _done.Task;

        public void OnCapacityAvailable() =>
            Interlocked.Exchange(ref _capacity, new(TaskCreationOptions.RunContinuationsAsynchronously)).TrySetResult();

        public void OnSettled(PartitionState partition, TmqMessage message, MessageOutcome outcome, TimeSpan requeueDelay)
        {
            // The engine counts a message settled before it calls here.
            if (Engine!.Settled >= messages)
            {
                _done.TrySetResult();
            }
        }

        public void OnPartitionStopped(PartitionState partition)
        {
        }

        public Task WriteAsync(DeadLetterRecord record, CancellationToken cancellationToken) =>
            throw new InvalidOperationException("The no-op handler never fails.");
    }
}
