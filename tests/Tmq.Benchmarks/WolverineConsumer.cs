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
using Wolverine.Runtime;
using Wolverine.Runtime.Serialization;
using Wolverine.Transports.Sending;

namespace Tmq.Benchmarks;

/// <summary>
/// The nearest .NET peer: a WolverineFx.Kafka listener with a no-op handler, reading the backlog in
/// a fresh group of its own. Wolverine's defaults (its commit mode: StoreOffset and librdkafka's
/// auto-commit; librdkafka's prefetch) but for the listener mode, in a host made like the generated
/// service's (<c>Host.CreateApplicationBuilder</c>, console logging at Information to stderr).
/// </summary>
/// <remarks>
/// <para>The listener processes inline (<c>ProcessInline()</c>, as Wolverine's Kafka documentation
/// configures its listeners) unless <c>--wolverine-mode buffered</c>. Wolverine's default,
/// <c>BufferedInMemory</c>, stops the listener when its in-memory queue passes
/// <c>BufferingLimits</c> (1,000) and starts a new one at 500: the consumer leaves the group and a
/// new member joins. On the mock cluster that rebalance waits out the session timeout (45 s; seen
/// once as a 48 s run where the others took about 3 s), and the new consumer may read again what
/// was buffered but not yet committed, which this handler would count again.</para>
/// <para>The backlog's values are random bytes, not JSON: the listener takes each record as a
/// <see cref="KafkaBytes"/> through a serializer that wraps the bytes without reading them, so the
/// handler costs what Tmq's no-op handler costs. The clock starts before the host starts (Wolverine
/// builds its handler pipeline and subscribes then), as it does for the Tmq host.</para>
/// </remarks>
internal static class WolverineConsumer
{
    public static async Task<KafkaBench.RunResult> RunAsync(string bootstrap, string topic, string group, int messages, bool buffered, TimeSpan timeout)
    {
        var counter = new WolverineCounter(messages);
        WolverineCounter.Current = counter;
        using var host = BuildHost(bootstrap, topic, group, buffered, AppContext.BaseDirectory, counter.Assigned);

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
        DisposeInlineSenders(host);
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
        using var host = BuildHost("127.0.0.1:9092", "overhead", "codegen", buffered: false, Directory.GetCurrentDirectory(), static () => { });
        return await host.RunJasperFxCommands(["codegen", "write"]);
#else
        await Console.Error.WriteLineAsync("wolverine-codegen needs Wolverine's runtime compiler: cd tests/Tmq.Benchmarks && dotnet run -c Release -p:WolverineCodegen=true -- wolverine-codegen");
        return 2;
#endif
    }

    /// <summary>
    /// Disposes the Kafka producers of Wolverine's inline sending agents, which Wolverine leaves
    /// running after its host is stopped and disposed (the agent disposes its retry block, not its
    /// sender): one producer a run would otherwise outlive its broker, retrying connections and
    /// logging each failure, for the rest of the benchmark.
    /// </summary>
    private static void DisposeInlineSenders(IHost host)
    {
        foreach (var agent in host.Services.GetRequiredService<IWolverineRuntime>().Endpoints.ActiveSendingAgents())
        {
            if (agent is InlineSendingAgent { Sender: IDisposable sender })
            {
                sender.Dispose();
            }
        }
    }

    private static IHost BuildHost(string bootstrap, string topic, string group, bool buffered, string contentRoot, Action assigned)
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
            var listener = opts.ListenToKafkaTopic(topic).ReceiveRawJson<KafkaBytes>().DefaultSerializer(new BytesSerializer());
            if (buffered)
            {
                listener.BufferedInMemory();
            }
            else
            {
                listener.ProcessInline();
            }
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
