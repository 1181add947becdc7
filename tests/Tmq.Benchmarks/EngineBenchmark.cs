using System.Diagnostics;
using System.Threading.Channels;
using Tmq;

namespace Tmq.Benchmarks;

/// <summary>
/// The dispatch engine through the in-memory transport: a no-op handler, Key ordering, 10,000
/// keys over 16 partitions. Baseline: the same messages through an unordered Channel with the
/// same number of reader loops, the least a hand-written dispatcher would do.
/// </summary>
internal static class EngineBenchmark
{
    private const int Keys = 10_000;
    private const int Partitions = 16;

    public static async Task<int> RunAsync(string[] args)
    {
        var messages = Args.Int(args, "--messages", 2_000_000);
        var keys = Enumerable.Range(0, Keys).Select(i => (ReadOnlyMemory<byte>)System.Text.Encoding.UTF8.GetBytes($"key-{i:D5}")).ToArray();
        var value = new byte[100];
        var options = new ConsumerOptions { Topic = "bench" };

        // Warm up both paths so tiering and pools settle before measuring.
        await RunEngineAsync(keys, value, options, messages / 10);
        await RunChannelAsync(keys, value, options.Concurrency, messages / 10);

        var messageBytes = MeasureMessageBytes(keys, value);
        var baseline = await RunChannelAsync(keys, value, options.Concurrency, messages);
        var engine = await RunEngineAsync(keys, value, options, messages);

        var engineRate = messages / engine.Elapsed.TotalSeconds;
        var baselineRate = messages / baseline.Elapsed.TotalSeconds;
        Console.WriteLine($"engine.messages: {messages} messages");
        Console.WriteLine($"engine.concurrency: {options.Concurrency} workers");
        Console.WriteLine($"engine.throughput: {engineRate:F0} msg/s");
        Console.WriteLine($"engine.allocated_per_message_beyond_message: {(engine.AllocatedBytes / (double)messages) - messageBytes:F1} B");
        Console.WriteLine($"engine.message_object_size: {messageBytes:F1} B");
        Console.WriteLine($"baseline.channel_unordered.throughput: {baselineRate:F0} msg/s");
        Console.WriteLine($"baseline.channel_unordered.allocated_per_message_beyond_message: {(baseline.AllocatedBytes / (double)messages) - messageBytes:F1} B");
        Console.WriteLine($"ratio.engine_vs_channel: {engineRate / baselineRate:F2} x");
        return 0;
    }

    private static async Task<Result> RunEngineAsync(ReadOnlyMemory<byte>[] keys, byte[] value, ConsumerOptions options, int messages)
    {
        var handler = new NoOpHandler();
        await using var consumer = new InMemoryConsumer(handler, options, partitions: Partitions) { KeepHandled = false };
        await consumer.StartAsync();
        GC.Collect();
        var allocated = GC.GetTotalAllocatedBytes(precise: true);
        var watch = Stopwatch.StartNew();
        for (var i = 0; i < messages; i++)
        {
            await consumer.PublishAsync(keys[i % keys.Length], value);
        }

        await consumer.WaitForIdleAsync(TimeSpan.FromMinutes(5));
        watch.Stop();
        var bytes = GC.GetTotalAllocatedBytes(precise: true) - allocated;
        if (consumer.HandledCount != messages)
        {
            throw new InvalidOperationException($"handled {consumer.HandledCount} of {messages}");
        }

        return new Result(watch.Elapsed, bytes);
    }

    private static async Task<Result> RunChannelAsync(ReadOnlyMemory<byte>[] keys, byte[] value, int readers, int messages)
    {
        var channel = Channel.CreateBounded<TmqMessage>(new BoundedChannelOptions(10_000) { SingleWriter = true });
        var handler = new NoOpHandler();
        GC.Collect();
        var allocated = GC.GetTotalAllocatedBytes(precise: true);
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
        return new Result(watch.Elapsed, GC.GetTotalAllocatedBytes(precise: true) - allocated);
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

    private readonly record struct Result(TimeSpan Elapsed, long AllocatedBytes);

    private sealed class NoOpHandler : IMessageHandler
    {
        public Task HandleAsync(TmqMessage message, CancellationToken cancellationToken) => Task.CompletedTask;
    }
}
