using System.Diagnostics;
using System.Globalization;
using System.Reflection;
using System.Text;
using Confluent.Kafka;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Tmq.Kafka;

namespace Tmq.Benchmarks;

/// <summary>
/// Shared pieces of the Kafka benchmarks: the broker in a child process, a batching producer, the
/// Tmq consumer in a generic host, the plain Confluent.Kafka loop it is compared with, and the
/// command-line options they share.
/// </summary>
/// <remarks>
/// Every scenario runs the embedded broker (librdkafka's mock cluster, 3 brokers) in a child
/// process of the benchmark (hidden scenario <c>kafka-broker</c>), so the broker's CPU, threads
/// and retained data do not count against the consumer being measured. Both consumers read the
/// same topic from the same broker, each with its own fresh group.
/// </remarks>
internal static class KafkaBench
{
    public const int ValueSize = 100;
    public const int KeyCount = 10_000;
    public const int Brokers = 3;

    /// <summary>The <see cref="KeyCount"/> message keys every scenario produces with.</summary>
    public static byte[][] MakeKeys() =>
        [.. Enumerable.Range(0, KeyCount).Select(static i => Encoding.UTF8.GetBytes($"key-{i:D5}"))];

    /// <summary>
    /// <c>--kafka key=value</c> options (repeatable): librdkafka settings for the Tmq consumer,
    /// passed as <c>Tmq:Consumers:main:Kafka:&lt;key&gt;</c>, as a user's configuration would.
    /// </summary>
    public static Dictionary<string, string> KafkaOverrides(string[] args, string flag = "--kafka")
    {
        var overrides = new Dictionary<string, string>(StringComparer.Ordinal);
        for (var i = 0; i + 1 < args.Length; i++)
        {
            if (args[i] == flag)
            {
                var pair = args[i + 1];
                var eq = pair.IndexOf('=', StringComparison.Ordinal);
                if (eq <= 0)
                {
                    throw new ArgumentException($"{flag} takes key=value, not '{pair}'.");
                }

                overrides[pair[..eq].Trim()] = pair[(eq + 1)..].Trim();
                i++;
            }
        }

        return overrides;
    }

    public static IEnumerable<string> ForwardKafkaOverrides(IReadOnlyDictionary<string, string> overrides) =>
        overrides.SelectMany(static o => new[] { "--kafka", $"{o.Key}={o.Value}" });

    public static string Describe(IReadOnlyDictionary<string, string> overrides) =>
        overrides.Count == 0 ? "none (KafkaConsumerDefaults)" : string.Join(" ", overrides.Select(static o => $"{o.Key}={o.Value}"));

    /// <summary>The 1-minute load average (the machine has 2 cores; other work shares them).</summary>
    public static string LoadAverage()
    {
        try
        {
            var parts = File.ReadAllText("/proc/loadavg").Split(' ');
            return $"{parts[0]} {parts[1]} {parts[2]}";
        }
        catch (IOException)
        {
            return "unknown";
        }
    }

    public static void PrintLoad(string prefix) =>
        Console.WriteLine($"{prefix}.load_average: {LoadAverage()} (1, 5, 15 min; {Environment.ProcessorCount} cores)");

    public static double CpuSeconds()
    {
        using var self = Process.GetCurrentProcess();
        return self.TotalProcessorTime.TotalSeconds;
    }

    /// <summary>Peak resident set of this process (VmHWM), the Linux "peak working set".</summary>
    public static long PeakWorkingSetBytes()
    {
        if (StatusBytes("VmHWM:") is { } peak)
        {
            return peak;
        }

        using var self = Process.GetCurrentProcess();
        return self.PeakWorkingSet64;
    }

    /// <summary>A kB field of /proc/self/status (VmHWM:, VmRSS:, ...) in bytes, or null where there is none.</summary>
    public static long? StatusBytes(string field)
    {
        if (!File.Exists("/proc/self/status"))
        {
            return null;
        }

        foreach (var line in File.ReadLines("/proc/self/status"))
        {
            if (line.StartsWith(field, StringComparison.Ordinal))
            {
                return long.Parse(line[field.Length..].Trim().Split(' ')[0], CultureInfo.InvariantCulture) * 1024;
            }
        }

        return null;
    }

    /// <summary>The median; the mean of the middle two for an even count.</summary>
    public static double Median(IEnumerable<double> values)
    {
        var sorted = values.Order().ToArray();
        return sorted.Length % 2 == 1 ? sorted[sorted.Length / 2] : (sorted[(sorted.Length / 2) - 1] + sorted[sorted.Length / 2]) / 2;
    }

    /// <summary>
    /// Runs this executable again with <paramref name="args"/> until it exits and returns the
    /// <c>key value</c> lines it printed; a non-zero exit fails with <paramref name="what"/> and its output.
    /// </summary>
    public static async Task<Dictionary<string, double>> RunChildAsync(IEnumerable<string> args, string what)
    {
        using var child = StartSelf(args, redirectInput: false);
        var output = await child.StandardOutput.ReadToEndAsync();
        await child.WaitForExitAsync();
        if (child.ExitCode != 0)
        {
            throw new InvalidOperationException($"{what} failed (exit {child.ExitCode}): {output}");
        }

        return output.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Select(static l => l.Split(' ', 2))
            .Where(static p => p.Length == 2)
            .ToDictionary(static p => p[0], static p => double.Parse(p[1], CultureInfo.InvariantCulture));
    }

    /// <summary>Starts this benchmark executable again with <paramref name="args"/> (stdout redirected; stderr inherited).</summary>
    public static Process StartSelf(IEnumerable<string> args, bool redirectInput)
    {
        var path = Environment.ProcessPath ?? throw new InvalidOperationException("The benchmark's own executable path is unknown.");
        var info = new ProcessStartInfo
        {
            RedirectStandardOutput = true,
            RedirectStandardInput = redirectInput,
            RedirectStandardError = false,
            UseShellExecute = false,
        };
        info.FileName = path;
        if (Path.GetFileNameWithoutExtension(path).Equals("dotnet", StringComparison.OrdinalIgnoreCase))
        {
            // Run as "dotnet Tmq.Benchmarks.dll": start the same assembly the same way.
            info.ArgumentList.Add(Assembly.GetExecutingAssembly().Location);
        }

        foreach (var arg in args)
        {
            info.ArgumentList.Add(arg);
        }

        return Process.Start(info) ?? throw new InvalidOperationException($"Could not start {path}.");
    }

    /// <summary>
    /// Produces <paramref name="messages"/> messages of <see cref="ValueSize"/> bytes to
    /// <paramref name="partitions"/> partitions, idempotence off, batching on. Key <c>k</c> always
    /// goes to partition <c>k % partitions</c>; the messages are produced one partition after the
    /// other, so every producer batch fills up (batch.size 1 MB, about 8,000 messages) whatever the
    /// machine's load.
    /// </summary>
    /// <remarks>
    /// The mock returns one producer batch per partition per Fetch, so batch size shapes both
    /// consumers' fetch granularity alike. Full 1 MB batches make a mock fetch return what a real
    /// broker returns per partition (max.partition.fetch.bytes, 1 MiB), and make runs repeatable:
    /// batches made by linger alone depend on how fast the producer ran.
    /// </remarks>
    public static double Produce(string bootstrap, string topic, int partitions, int messages, byte[][] keys, int batchMessages = 10_000)
    {
        var config = new ProducerConfig
        {
            BootstrapServers = bootstrap,
            EnableIdempotence = false,
            Acks = Acks.Leader,
            LingerMs = 1000,
            BatchNumMessages = batchMessages,
            BatchSize = 1_000_000,
            QueueBufferingMaxMessages = 2_000_000,
            QueueBufferingMaxKbytes = 1_048_576,
        };
        var value = new byte[ValueSize];
        Random.Shared.NextBytes(value);
        long failed = 0;
        string? firstError = null;
        var watch = Stopwatch.StartNew();
        using (var producer = new ProducerBuilder<byte[], byte[]>(config).SetLogHandler(static (_, _) => { }).Build())
        {
            Action<DeliveryReport<byte[], byte[]>> report = r =>
            {
                if (r.Error.IsError && Interlocked.Increment(ref failed) == 1)
                {
                    firstError = r.Error.Reason;
                }
            };
            for (var p = 0; p < partitions; p++)
            {
                var target = new TopicPartition(topic, p);
                var keysHere = (keys.Length - p + partitions - 1) / partitions;
                var count = (messages / partitions) + (p < messages % partitions ? 1 : 0);
                for (var j = 0; j < count; j++)
                {
                    var message = new Message<byte[], byte[]> { Key = keys[p + (partitions * (j % keysHere))], Value = value };
                    while (true)
                    {
                        try
                        {
                            producer.Produce(target, message, report);
                            break;
                        }
                        catch (ProduceException<byte[], byte[]> ex) when (ex.Error.Code == ErrorCode.Local_QueueFull)
                        {
                            producer.Poll(TimeSpan.FromMilliseconds(10));
                        }
                    }
                }
            }

            producer.Flush(TimeSpan.FromMinutes(2));
        }

        watch.Stop();
        if (failed > 0)
        {
            throw new InvalidOperationException($"{failed} of {messages} messages were not produced to {topic}: {firstError}");
        }

        return watch.Elapsed.TotalSeconds;
    }

    /// <summary>Messages the broker holds for <paramref name="topic"/> (proves nothing was dropped by the mock's retention).</summary>
    public static long Retained(string bootstrap, string topic, int partitions)
    {
        using var consumer = new ConsumerBuilder<byte[], byte[]>(new ConsumerConfig { BootstrapServers = bootstrap, GroupId = "bench-watermarks" })
            .SetLogHandler(static (_, _) => { })
            .Build();
        long total = 0;
        for (var p = 0; p < partitions; p++)
        {
            var w = consumer.QueryWatermarkOffsets(new TopicPartition(topic, p), TimeSpan.FromSeconds(10));
            total += w.High.Value - w.Low.Value;
        }

        return total;
    }

    /// <summary>Produces and checks that the mock kept every message (its retention drops old data silently).</summary>
    public static void ProduceChecked(KafkaBrokerHandle broker, string topic, int partitions, int messages, byte[][] keys, string prefix, int batchMessages = 10_000)
    {
        broker.CreateTopic(topic, partitions);
        var seconds = Produce(broker.BootstrapServers, topic, partitions, messages, keys, batchMessages);
        var retained = Retained(broker.BootstrapServers, topic, partitions);
        Console.WriteLine($"{prefix}.produce: {messages / seconds:F0} msg/s ({messages} x {ValueSize} B, {partitions} partitions, {seconds:F1} s)");
        if (retained != messages)
        {
            throw new InvalidOperationException(
                $"The broker retains {retained} of the {messages} messages produced to {topic}: the mock keeps about 5 MiB per partition; use more partitions.");
        }
    }

    /// <summary>
    /// Runs a Tmq consumer (generic host, <c>AddTmqKafkaConsumer</c>) on <paramref name="topic"/> in a
    /// fresh group until <paramref name="messages"/> messages were handled. The clock starts when
    /// the host starts (building the Confluent consumer and subscribing) and stops when the handler
    /// finishes the last message. <paramref name="whileRunning"/> runs after that, before the host stops.
    /// With <paramref name="generatedHost"/> the consumer runs in the host a generated service runs
    /// (<see cref="GeneratedServiceHost"/>), and its /metrics and /healthz are fetched once after the
    /// last message (<see cref="RunResult.Probe"/>); otherwise the host holds the consumer alone.
    /// </summary>
    public static async Task<RunResult> RunTmqAsync(
        string bootstrap,
        string topic,
        string group,
        int messages,
        TimeSpan handlerDelay,
        IReadOnlyDictionary<string, string?> consumerSettings,
        IReadOnlyDictionary<string, string> kafka,
        TimeSpan timeout,
        Action? whileRunning = null,
        bool generatedHost = false)
    {
        var handler = new CountingHandler(messages, handlerDelay);
        var listener = new FirstAssignment();
        var builder = generatedHost ? GeneratedServiceHost.CreateBuilder(bootstrap) : Host.CreateEmptyApplicationBuilder(new HostApplicationBuilderSettings());
        var config = new Dictionary<string, string?>
        {
            ["Tmq:Service"] = "bench.kafka.consumer",
            ["Tmq:Consumers:main:Topic"] = topic,
            ["Tmq:Consumers:main:Group"] = group,
            ["Tmq:Consumers:main:Kafka:bootstrap.servers"] = bootstrap,
        };
        foreach (var (key, value) in consumerSettings)
        {
            config[$"Tmq:Consumers:main:{key}"] = value;
        }

        foreach (var (key, value) in kafka)
        {
            config[$"Tmq:Consumers:main:Kafka:{key}"] = value;
        }

        builder.Configuration.AddInMemoryCollection(config);
        var logs = new BenchLogs();
        builder.Logging.SetMinimumLevel(logs.Echo ? LogLevel.Debug : LogLevel.Information);
        builder.Logging.AddProvider(logs);
        builder.Services.AddSingleton(handler);
        builder.Services.AddSingleton<IRebalanceListener>(listener);
        if (generatedHost)
        {
            GeneratedServiceHost.Compose(builder, () => builder.Services.AddTmqKafkaConsumer<CountingHandler>("main"));
        }
        else
        {
            builder.Services.AddTmqKafkaConsumer<CountingHandler>("main");
        }

        var port = builder.Configuration.GetValue<int>("Metrics:Prometheus:Port");
        using var host = builder.Build();

        GC.Collect();
        var cpu = CpuSeconds();
        var start = Stopwatch.GetTimestamp();
        await host.StartAsync();
        long end;
        try
        {
            end = await handler.Done.WaitAsync(timeout);
        }
        catch (TimeoutException)
        {
            throw new TimeoutException($"Tmq consumer handled {handler.Count} of {messages} messages of {topic} in {timeout}.");
        }

        var cpuUsed = CpuSeconds() - cpu;
        whileRunning?.Invoke();
        var probe = generatedHost ? await GeneratedServiceHost.ProbeAsync(port) : null;
        await host.StopAsync();
        if (logs.FirstProblem is { } problem)
        {
            Console.Error.WriteLine($"tmq consumer logged {logs.Problems} warning(s) or error(s); the first: {problem}");
        }

        return new RunResult(messages, Stopwatch.GetElapsedTime(start, end), Stopwatch.GetElapsedTime(listener.At == 0 ? start : listener.At, end), cpuUsed)
        {
            Pauses = logs.BackpressurePauses,
            Probe = probe,
        };
    }

    /// <summary>
    /// The plain Confluent.Kafka loop: librdkafka's defaults except what any at-least-once loop
    /// sets (<c>enable.auto.offset.store=false</c>, auto-commit on, earliest), one thread doing
    /// Consume, handle, StoreOffset. The clock starts at Subscribe and stops after the last
    /// message's StoreOffset.
    /// </summary>
    public static async Task<RunResult> RunPlainAsync(
        string bootstrap, string topic, string group, int messages, TimeSpan handlerDelay, TimeSpan timeout, IReadOnlyDictionary<string, string>? overrides = null)
    {
        var config = new ConsumerConfig
        {
            BootstrapServers = bootstrap,
            GroupId = group,
            AutoOffsetReset = AutoOffsetReset.Earliest,
            EnableAutoOffsetStore = false,
            EnableAutoCommit = true,
        };
        foreach (var (key, value) in overrides ?? new Dictionary<string, string>())
        {
            config.Set(key, value);
        }

        long assigned = 0;
        using var consumer = new ConsumerBuilder<byte[]?, byte[]?>(config)
            .SetLogHandler(static (_, _) => { })
            .SetPartitionsAssignedHandler((_, _) =>
            {
                if (assigned == 0)
                {
                    assigned = Stopwatch.GetTimestamp();
                }
            })
            .Build();
        GC.Collect();
        var cpu = CpuSeconds();
        var start = Stopwatch.GetTimestamp();
        var deadline = start + (long)(timeout.TotalSeconds * Stopwatch.Frequency);
        var count = 0;
        consumer.Subscribe(topic);
        while (count < messages)
        {
            var result = consumer.Consume(TimeSpan.FromMilliseconds(100));
            if (result?.Message is null)
            {
                if (Stopwatch.GetTimestamp() > deadline)
                {
                    throw new TimeoutException($"The plain loop consumed {count} of {messages} messages of {topic} in {timeout}.");
                }

                continue;
            }

            if (handlerDelay > TimeSpan.Zero)
            {
                await Task.Delay(handlerDelay);
            }

            consumer.StoreOffset(result);
            count++;
        }

        var end = Stopwatch.GetTimestamp();
        var cpuUsed = CpuSeconds() - cpu;
        consumer.Close();
        return new RunResult(messages, Stopwatch.GetElapsedTime(start, end), Stopwatch.GetElapsedTime(assigned == 0 ? start : assigned, end), cpuUsed);
    }

    public static void Print(string name, RunResult result, double? brokerCpu = null) =>
        Console.WriteLine(
            $"{name}: {result.Rate:F0} msg/s ({result.Messages} msgs in {result.Elapsed.TotalSeconds:F2} s from subscription to last message handled; " +
            $"{result.Messages / result.SinceAssignment.TotalSeconds:F0} msg/s from first assignment; consumer CPU {result.CpuSeconds:F2} s" +
            (brokerCpu is { } broker ? $"; broker CPU {broker:F2} s" : string.Empty) +
            (result.Pauses is { } pauses ? $"; backpressure pauses {pauses})" : ")"));

    internal readonly record struct RunResult(int Messages, TimeSpan Elapsed, TimeSpan SinceAssignment, double CpuSeconds)
    {
        public double Rate => Messages / Elapsed.TotalSeconds;

        /// <summary>How often the Tmq consumer paused fetching because MaxBufferedMessages was reached (null for the plain loop).</summary>
        public int? Pauses { get; init; }

        /// <summary>What the generated host's /metrics and /healthz answered after the run (null for other runs).</summary>
        public string? Probe { get; init; }
    }

    /// <summary>A no-op (or delaying) handler that records when the target count was reached.</summary>
    internal sealed class CountingHandler(int target, TimeSpan delay) : IMessageHandler
    {
        private readonly TaskCompletionSource<long> _done = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private int _count;

        /// <summary>The Stopwatch timestamp at which the target-th message was handled.</summary>
        public Task<long> Done => _done.Task;

        public int Count => Volatile.Read(ref _count);

        public Task HandleAsync(TmqMessage message, CancellationToken cancellationToken)
        {
            if (delay > TimeSpan.Zero)
            {
                return DelayAsync(cancellationToken);
            }

            Counted();
            return Task.CompletedTask;
        }

        private async Task DelayAsync(CancellationToken cancellationToken)
        {
            await Task.Delay(delay, cancellationToken);
            Counted();
        }

        private void Counted()
        {
            if (Interlocked.Increment(ref _count) == target)
            {
                _done.TrySetResult(Stopwatch.GetTimestamp());
            }
        }
    }

    private sealed class FirstAssignment : IRebalanceListener
    {
        public long At { get; private set; }

        public Task OnAssignedAsync(IReadOnlyList<KafkaPartition> partitions, CancellationToken cancellationToken)
        {
            if (At == 0)
            {
                At = Stopwatch.GetTimestamp();
            }

            return Task.CompletedTask;
        }

        public Task OnRevokedAsync(IReadOnlyList<KafkaPartition> partitions, CancellationToken cancellationToken) => Task.CompletedTask;

        public Task OnLostAsync(IReadOnlyList<KafkaPartition> partitions, CancellationToken cancellationToken) => Task.CompletedTask;
    }
}

/// <summary>The parent's handle on the embedded broker running in a child process (hidden scenario <c>kafka-broker</c>).</summary>
internal sealed class KafkaBrokerHandle : IDisposable
{
    private readonly Process _process;

    private KafkaBrokerHandle(Process process, string bootstrapServers)
    {
        _process = process;
        BootstrapServers = bootstrapServers;
    }

    public string BootstrapServers { get; }

    /// <summary>CPU time the broker process has used so far (the broker shares the machine's cores with the consumer).</summary>
    public double CpuSeconds
    {
        get
        {
            _process.Refresh();
            return _process.TotalProcessorTime.TotalSeconds;
        }
    }

    public static KafkaBrokerHandle Start()
    {
        var process = KafkaBench.StartSelf(["kafka-broker", "--brokers", KafkaBench.Brokers.ToString(CultureInfo.InvariantCulture)], redirectInput: true);
        var line = process.StandardOutput.ReadLine();
        if (line is null || !line.StartsWith("bootstrap ", StringComparison.Ordinal))
        {
            process.Kill();
            throw new InvalidOperationException($"The broker process did not start: '{line}'.");
        }

        return new KafkaBrokerHandle(process, line["bootstrap ".Length..]);
    }

    public void CreateTopic(string topic, int partitions)
    {
        _process.StandardInput.WriteLine($"topic {topic} {partitions}");
        _process.StandardInput.Flush();
        var reply = _process.StandardOutput.ReadLine();
        if (reply != "ok")
        {
            throw new InvalidOperationException($"The broker could not create {topic}: {reply}");
        }
    }

    public void Dispose()
    {
        try
        {
            _process.StandardInput.Close();
            if (!_process.WaitForExit(TimeSpan.FromSeconds(15)))
            {
                _process.Kill();
            }
        }
        finally
        {
            _process.Dispose();
        }
    }

    /// <summary>
    /// The child side: starts the mock cluster, prints <c>bootstrap &lt;servers&gt;</c>, creates topics
    /// on <c>topic &lt;name&gt; &lt;partitions&gt;</c> lines and exits when stdin closes.
    /// </summary>
    public static int RunChild(string[] args)
    {
        using var broker = EmbeddedKafkaBroker.Start(Args.Int(args, "--brokers", KafkaBench.Brokers));
        Console.Out.WriteLine("bootstrap " + broker.BootstrapServers);
        Console.Out.Flush();
        while (Console.In.ReadLine() is { } line)
        {
            var parts = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            try
            {
                if (parts is ["topic", var name, var count])
                {
                    broker.CreateTopic(name, int.Parse(count, CultureInfo.InvariantCulture));
                    Console.Out.WriteLine("ok");
                }
                else
                {
                    Console.Out.WriteLine($"unknown command '{line}'");
                }
            }
            catch (Exception ex) when (ex is ArgumentException or InvalidOperationException or FormatException)
            {
                Console.Out.WriteLine(ex.Message.ReplaceLineEndings(" "));
            }

            Console.Out.Flush();
        }

        return 0;
    }
}
