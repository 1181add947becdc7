using System.Diagnostics;
using Confluent.Kafka;
using JasperFx;
using JasperFx.CodeGeneration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Console;
using Wolverine;
using Wolverine.Kafka;
using Wolverine.Runtime.Serialization;

namespace Tmq.Benchmarks;

/// <summary>
/// The nearest .NET peer: a WolverineFx.Kafka listener with a no-op handler, reading the backlog in
/// a fresh group of its own. Wolverine's defaults throughout (its listener mode, its commit mode:
/// StoreOffset and librdkafka's auto-commit, librdkafka's prefetch), in a host made like the
/// generated service's (<c>Host.CreateApplicationBuilder</c>, console logging at Information to stderr).
/// </summary>
/// <remarks>
/// The backlog's values are random bytes, not JSON: the listener takes each record as a
/// <see cref="KafkaBytes"/> through a serializer that wraps the bytes without reading them, so the
/// handler costs what Tmq's no-op handler costs. The clock starts before the host starts (Wolverine
/// builds its handler pipeline and subscribes then), as it does for the Tmq host.
/// </remarks>
internal static class WolverineConsumer
{
    public static async Task<KafkaBench.RunResult> RunAsync(string bootstrap, string topic, string group, int messages, TimeSpan timeout)
    {
        var counter = new WolverineCounter(messages);
        WolverineCounter.Current = counter;
        using var host = BuildHost(bootstrap, topic, group, AppContext.BaseDirectory, counter.Assigned);

        GC.Collect();
        var cpu = KafkaBench.CpuSeconds();
        var start = Stopwatch.GetTimestamp();
        await host.StartAsync();
        long end;
        try
        {
            end = await counter.Done.WaitAsync(timeout);
        }
        catch (TimeoutException)
        {
            throw new TimeoutException($"Wolverine handled {counter.Count} of {messages} messages of {topic} in {timeout}.");
        }

        var cpuUsed = KafkaBench.CpuSeconds() - cpu;
        await host.StopAsync();
        WolverineCounter.Current = null;
        return new KafkaBench.RunResult(messages, Stopwatch.GetElapsedTime(start, end), Stopwatch.GetElapsedTime(counter.FirstAssignment == 0 ? start : counter.FirstAssignment, end), cpuUsed);
    }

    /// <summary>
    /// Hidden scenario <c>wolverine-codegen</c>: writes the handler code Wolverine runs to
    /// Internal/Generated under the current directory (run it from tests/Tmq.Benchmarks, built
    /// with <c>-p:WolverineCodegen=true</c>, which brings Wolverine's runtime compiler).
    /// </summary>
    public static async Task<int> WriteCodeAsync()
    {
#if WOLVERINE_CODEGEN
        using var host = BuildHost("127.0.0.1:9092", "overhead", "codegen", Directory.GetCurrentDirectory(), static () => { });
        return await host.RunJasperFxCommands(["codegen", "write"]);
#else
        await Console.Error.WriteLineAsync("wolverine-codegen needs Wolverine's runtime compiler: cd tests/Tmq.Benchmarks && dotnet run -c Release -p:WolverineCodegen=true -- wolverine-codegen");
        return 2;
#endif
    }

    private static IHost BuildHost(string bootstrap, string topic, string group, string contentRoot, Action assigned)
    {
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { Args = [], ContentRootPath = contentRoot });
        builder.Services.Configure<ConsoleLoggerOptions>(static o => o.LogToStandardErrorThreshold = LogLevel.Trace);
        builder.UseWolverine(opts =>
        {
            opts.ServiceName = "bench-wolverine";
#if WOLVERINE_CODEGEN
            opts.CodeGeneration.TypeLoadMode = TypeLoadMode.Dynamic;
            opts.UseRuntimeCompilation();
#else
            // The handler code is built ahead of time (Internal/Generated), as Wolverine advises for production.
            opts.CodeGeneration.TypeLoadMode = TypeLoadMode.Static;
#endif
            opts.Discovery.DisableConventionalDiscovery().IncludeType(typeof(KafkaBytesHandler));
            opts.UseKafka(bootstrap)
                .ConfigureConsumers(c =>
                {
                    c.GroupId = group;
                    c.AutoOffsetReset = AutoOffsetReset.Earliest;
                })
                .ConfigureConsumerBuilders(b => b.SetPartitionsAssignedHandler((_, _) => assigned()));
            opts.ListenToKafkaTopic(topic).ReceiveRawJson<KafkaBytes>().DefaultSerializer(new BytesSerializer());
        });
        return builder.Build();
    }
}

/// <summary>A Kafka record's value, as the Wolverine handler receives it.</summary>
public sealed record KafkaBytes(byte[] Value);

/// <summary>The no-op Wolverine handler: it counts.</summary>
/// <remarks>Public, as Wolverine requires of handlers; it builds the code that calls it, so it finds the run's counter through a static.</remarks>
public static class KafkaBytesHandler
{
    public static void Handle(KafkaBytes message) => WolverineCounter.Current?.Handled();
}

/// <summary>Counts the Wolverine handler's calls and records the first assignment and the target-th call.</summary>
internal sealed class WolverineCounter(int target)
{
    private readonly TaskCompletionSource<long> _done = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private long _assigned;
    private int _count;

    public static WolverineCounter? Current { get; set; }

    public Task<long> Done => _done.Task;

    /// <summary>The Stopwatch timestamp of the listener's first assignment (0 before).</summary>
    public long FirstAssignment => Interlocked.Read(ref _assigned);

    public int Count => Volatile.Read(ref _count);

    public void Assigned() => Interlocked.CompareExchange(ref _assigned, Stopwatch.GetTimestamp(), 0);

    public void Handled()
    {
        if (Interlocked.Increment(ref _count) == target)
        {
            _done.TrySetResult(Stopwatch.GetTimestamp());
        }
    }
}

/// <summary>Hands Wolverine a record's bytes as a <see cref="KafkaBytes"/> without parsing them.</summary>
internal sealed class BytesSerializer : IMessageSerializer
{
    public string ContentType => "application/octet-stream";

    public byte[] Write(Envelope envelope) => envelope.Message is KafkaBytes bytes ? bytes.Value : [];

    public object ReadFromData(Type messageType, Envelope envelope) => new KafkaBytes(envelope.Data ?? []);

    public object ReadFromData(byte[] data) => new KafkaBytes(data);

    public byte[] WriteMessage(object message) => message is KafkaBytes bytes ? bytes.Value : [];
}
