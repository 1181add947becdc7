using System.Diagnostics;
using System.Globalization;
using System.Text;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Tmq.Nsq;
using Tmq.Nsq.Envelope;

namespace Tmq.Benchmarks;

/// <summary>
/// The measured runs of the <c>nsq</c> scenarios: the project's producer publishing (MPUB batches
/// or single PUBs) and its consumer draining a backlog through a generic host.
/// </summary>
internal static class NsqRuns
{
    public const int MessageSize = 200;
    public const int BatchSize = 200;
    public const string Channel = "ch";

    /// <summary>
    /// The last messages of a drain left out of its steady rate: at the end of a backlog nsqd holds
    /// its last partial output buffer (16 KB, about 70 messages) until its 250 ms output_buffer_timeout
    /// flushes it, a wait that a timed reader such as bench_reader never reaches.
    /// </summary>
    private const int SteadyTail = 1_000;

    /// <summary>A 200-byte body that is not an envelope (printable, so it never starts with the envelope's zero byte).</summary>
    public static ReadOnlyMemory<byte> PlainBody() => Encoding.ASCII.GetBytes(new string('m', MessageSize));

    /// <summary>
    /// <see cref="KafkaBench.KeyCount"/> bodies of exactly 200 bytes, each a TMQ envelope carrying its
    /// key, so that a Key-ordered consumer gets keys while every message stays 200 bytes on the wire.
    /// </summary>
    public static ReadOnlyMemory<byte>[] KeyedBodies()
    {
        var keys = KafkaBench.MakeKeys();
        var overhead = TmqEnvelope.Wrap(keys[0], null, []).Length;
        var value = Encoding.ASCII.GetBytes(new string('k', MessageSize - overhead));
        return [.. keys.Select(k => (ReadOnlyMemory<byte>)TmqEnvelope.Wrap(k, null, value))];
    }

    /// <summary>Nsq:ConnectionsPerNsqd of the producer and the consumers (<c>--connections</c>; 1, the default, unless given).</summary>
    public static int Connections { get; set; } = 1;

    public static NsqProducer Producer(string tcpAddress) =>
        new(new NsqProducerOptions { Nsqd = [tcpAddress], ConnectionsPerNsqd = Connections }, "bench-nsq-producer", logger: null, metrics: null);

    /// <summary>MPUB batches of <see cref="BatchSize"/> from <paramref name="publishers"/> concurrent callers until <paramref name="messages"/> were accepted.</summary>
    public static Task<RunResult> PublishBatchesAsync(NsqServer server, NsqProducer producer, string topic, int messages, int publishers, ReadOnlyMemory<byte>[] bodies)
    {
        var taken = 0;
        return MeasureAsync(server, messages, Enumerable.Range(0, publishers).Select(async _ =>
        {
            var batch = new List<ReadOnlyMemory<byte>>(BatchSize);
            int end;
            while ((end = Interlocked.Add(ref taken, BatchSize)) - BatchSize < messages)
            {
                batch.Clear();
                for (var i = end - BatchSize; i < Math.Min(end, messages); i++)
                {
                    batch.Add(bodies[i % bodies.Length]);
                }

                await producer.PublishAsync(topic, batch);
            }
        }));
    }

    /// <summary>
    /// MPUB batches of <see cref="BatchSize"/> from <paramref name="publishers"/> concurrent callers for
    /// <paramref name="duration"/>, as bench_writer runs for its <c>--runfor</c>: every batch started
    /// before the deadline is awaited and counted.
    /// </summary>
    public static async Task<RunResult> PublishBatchesForAsync(NsqServer server, NsqProducer producer, string topic, TimeSpan duration, int publishers, ReadOnlyMemory<byte>[] bodies)
    {
        var sent = 0;
        var deadline = Stopwatch.GetTimestamp() + (long)(duration.TotalSeconds * Stopwatch.Frequency);
        var run = await MeasureAsync(server, 0, Enumerable.Range(0, publishers).Select(async publisher =>
        {
            var batch = new List<ReadOnlyMemory<byte>>(BatchSize);
            for (var i = 0; i < BatchSize; i++)
            {
                batch.Add(bodies[(publisher + i) % bodies.Length]);
            }

            while (Stopwatch.GetTimestamp() < deadline)
            {
                await producer.PublishAsync(topic, batch);
                Interlocked.Add(ref sent, BatchSize);
            }
        }));
        return run with { Messages = sent };
    }

    /// <summary>One PUB per message (<see cref="NsqProducer.SendAsync"/>) from <paramref name="senders"/> concurrent callers.</summary>
    public static Task<RunResult> PublishSinglesAsync(NsqServer server, NsqProducer producer, string topic, int messages, int senders, ReadOnlyMemory<byte>[] bodies)
    {
        var taken = 0;
        return MeasureAsync(server, messages, Enumerable.Range(0, senders).Select(async _ =>
        {
            int i;
            while ((i = Interlocked.Increment(ref taken) - 1) < messages)
            {
                // The body is sent as it is (Envelope off): a keyed body is an envelope made beforehand.
                await producer.SendAsync(topic, ReadOnlyMemory<byte>.Empty, bodies[i % bodies.Length]);
            }
        }));
    }

    private static async Task<RunResult> MeasureAsync(NsqServer server, int messages, IEnumerable<Task> starting)
    {
        GC.Collect();
        var cpu = KafkaBench.CpuSeconds();
        var serverCpu = server.CpuSeconds;
        var allocated = GC.GetTotalAllocatedBytes();
        var start = Stopwatch.GetTimestamp();
        await Task.WhenAll(starting.ToList());
        var elapsed = Stopwatch.GetElapsedTime(start);
        return new RunResult(messages, elapsed, KafkaBench.CpuSeconds() - cpu, server.CpuSeconds - serverCpu, GC.GetTotalAllocatedBytes() - allocated);
    }

    /// <summary>
    /// Drains <paramref name="messages"/> messages of <paramref name="topic"/> (channel <see cref="Channel"/>)
    /// with <c>AddTmqNsqConsumer</c> in a generic host: MaxInFlight 2,500, the given ordering, default
    /// Concurrency. The clock starts before the host starts (connect, IDENTIFY, SUB) and stops when the
    /// handler finishes the last message. The steady rate runs from the first message handled to the
    /// last <see cref="SteadyTail"/>. <paramref name="whileRunning"/> runs then, before the host stops.
    /// </summary>
    public static async Task<RunResult> ConsumeAsync(
        NsqServer? server, string tcpAddress, string topic, int messages, string ordering, int maxInFlight, TimeSpan timeout, Action? whileRunning = null)
    {
        var steadyEnd = messages > 2 * SteadyTail ? messages - SteadyTail : messages;
        var handler = new NoopHandler(messages, steadyEnd);
        var builder = Host.CreateEmptyApplicationBuilder(new HostApplicationBuilderSettings());
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Tmq:Service"] = "bench.nsq.consumer",
            ["Tmq:Consumers:main:Topic"] = topic,
            ["Tmq:Consumers:main:Channel"] = Channel,
            ["Tmq:Consumers:main:Nsq:Nsqd:0"] = tcpAddress,
            ["Tmq:Consumers:main:Nsq:MaxInFlight"] = maxInFlight.ToString(CultureInfo.InvariantCulture),
            ["Tmq:Consumers:main:Nsq:ConnectionsPerNsqd"] = Connections.ToString(CultureInfo.InvariantCulture),
            ["Tmq:Consumers:main:Ordering"] = ordering,
        });
        var logs = new BenchLogs();
        builder.Logging.SetMinimumLevel(logs.Echo ? LogLevel.Debug : LogLevel.Warning);
        builder.Logging.AddProvider(logs);
        builder.Services.AddSingleton(handler);
        builder.Services.AddTmqNsqConsumer<NoopHandler>("main");
        using var host = builder.Build();

        GC.Collect();
        var cpu = KafkaBench.CpuSeconds();
        var serverCpu = server?.CpuSeconds;
        var allocated = GC.GetTotalAllocatedBytes();
        var start = Stopwatch.GetTimestamp();
        await host.StartAsync();
        long end;
        try
        {
            end = await handler.Done.WaitAsync(timeout);
        }
        catch (TimeoutException)
        {
            throw new TimeoutException($"The Tmq consumer handled {handler.Count} of {messages} messages of {topic} in {timeout} (first problem logged: {logs.FirstProblem ?? "none"}).");
        }

        var cpuUsed = KafkaBench.CpuSeconds() - cpu;
        var serverCpuUsed = server?.CpuSeconds - serverCpu;
        var allocatedUsed = GC.GetTotalAllocatedBytes() - allocated;
        whileRunning?.Invoke();
        await host.StopAsync();
        if (logs.FirstProblem is { } problem)
        {
            Console.Error.WriteLine($"tmq nsq consumer logged {logs.Problems} warning(s) or error(s); the first: {problem}");
        }

        return new RunResult(messages, Stopwatch.GetElapsedTime(start, end), cpuUsed, serverCpuUsed, allocatedUsed)
        {
            SteadyRate = (steadyEnd - 1) / Stopwatch.GetElapsedTime(handler.First, handler.Steady).TotalSeconds,
            SteadyEnd = steadyEnd,
            Tail = Stopwatch.GetElapsedTime(handler.Steady, end),
        };
    }

    /// <summary>A run's figures; <see cref="ServerCpuSeconds"/> is null when nsqd is not this process's child.</summary>
    internal readonly record struct RunResult(int Messages, TimeSpan Elapsed, double CpuSeconds, double? ServerCpuSeconds, long AllocatedBytes)
    {
        public double Rate => Messages / Elapsed.TotalSeconds;

        public double CpuMicrosPerMessage => CpuSeconds / Messages * 1e6;

        /// <summary>A consume run's rate from the first message handled to the <see cref="SteadyEnd"/>-th; null for a publish run.</summary>
        public double? SteadyRate { get; init; }

        public int SteadyEnd { get; init; }

        /// <summary>How long the messages after the <see cref="SteadyEnd"/>-th took.</summary>
        public TimeSpan Tail { get; init; }

        public string Describe(bool serverInProcess) =>
            $"{Messages} msgs in {Elapsed.TotalSeconds:F2} s" +
            (SteadyRate is { } steady ? $", steady {steady:F0} msg/s from the first message handled to the {SteadyEnd}th, the last {Messages - SteadyEnd} in {Tail.TotalMilliseconds:F0} ms" : string.Empty) +
            $"; CPU per message {CpuMicrosPerMessage:F2} us in this process" +
            (serverInProcess ? " (dev nsqd included)" : string.Empty) +
            (ServerCpuSeconds is { } server ? $", {server / Messages * 1e6:F2} us in nsqd" : string.Empty) +
            $"; {AllocatedBytes / (double)Messages:F0} B allocated per message";
    }
}
