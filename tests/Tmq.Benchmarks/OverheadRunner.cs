namespace Tmq.Benchmarks;

/// <summary>
/// Runs <c>kafka-overhead</c>'s columns on one cell's backlog: a fresh broker per cell, the backlog
/// written once, then <see cref="OverheadMatrix.Rounds"/> rounds in which every column reads it in a
/// fresh group of its own. The column order turns by one each round (plain, tmq, wolverine, kcat;
/// then tmq, wolverine, kcat, plain; ...) so that drift and the broker's state after producing
/// weigh on every column alike.
/// </summary>
internal sealed class OverheadRunner(
    OverheadMatrix matrix,
    IReadOnlyDictionary<string, string> kafka,
    IReadOnlyDictionary<string, string> plainKafka,
    IReadOnlyDictionary<string, string> kcatKafka,
    string? kcat)
{
    private static readonly TimeSpan Timeout = TimeSpan.FromMinutes(2);

    /// <summary>The Tmq consumer's settings beyond its defaults in a bare host (the generated host has the generated appsettings.json).</summary>
    private static readonly Dictionary<string, string?> TmqSettings = new(StringComparer.Ordinal) { ["Ordering"] = "Key" };

    /// <summary>Full passes over the warm-up backlog by every .NET column.</summary>
    private const int WarmUpPasses = 3;

    /// <summary>
    /// Every .NET column drains a warm-up backlog <see cref="WarmUpPasses"/> times (JIT, pools,
    /// Wolverine's handler pipeline); not reported. One pass of 50,000 left the Tmq consumer's first
    /// rounds in methods not yet at their final tier: the default run's full-batch cell measured
    /// 481-793k msg/s over six rounds, rising with them, and 424-748k (five of six at 612k or more)
    /// after three passes of 200,000. A service that runs for hours pays that once.
    /// </summary>
    public async Task WarmUpAsync(byte[][] keys)
    {
        using var broker = KafkaBrokerHandle.Start();
        var messages = Math.Max(5_000, (int)(matrix.WarmUpMessages * matrix.Scale));
        KafkaBacklog.ProduceChecked(broker, "warmup", 8, messages, 100, BatchShape.Full, keys);
        for (var pass = 1; pass <= WarmUpPasses; pass++)
        {
            foreach (var column in matrix.Columns.Where(static c => c != OverheadColumn.Kcat))
            {
                await RunAsync(column, broker.BootstrapServers, "warmup", $"warmup-{OverheadMatrix.Name(column)}-{pass}", messages);
            }
        }

        Console.WriteLine($"kafka-overhead.warmup: {messages} x 100 B drained {WarmUpPasses} times by {string.Join(", ", matrix.Columns.Where(static c => c != OverheadColumn.Kcat).Select(OverheadMatrix.Name))}");
    }

    public async Task<OverheadCellResult> RunCellAsync(OverheadCell cell, byte[][] keys)
    {
        var watch = System.Diagnostics.Stopwatch.StartNew();
        using var broker = KafkaBrokerHandle.Start();
        var produced = KafkaBacklog.ProduceChecked(broker, "overhead", cell.Partitions, cell.Messages, cell.ValueSize, cell.Shape, keys);
        Console.WriteLine(
            $"kafka-overhead.{cell.Name}.backlog: {produced.Describe(cell.ValueSize, cell.Partitions)}" +
            (cell.Capped ? " (capped by the mock's retention of about 5 MiB per partition)" : string.Empty));
        var result = new OverheadCellResult(cell, produced);
        var columns = matrix.Columns;
        for (var round = 1; round <= matrix.Rounds; round++)
        {
            for (var i = 0; i < columns.Count; i++)
            {
                var column = columns[(i + round - 1) % columns.Count];
                var name = OverheadMatrix.Name(column);
                if (column == OverheadColumn.Kcat && kcat is null)
                {
                    continue;
                }

                var brokerCpu = broker.CpuSeconds;
                try
                {
                    var run = await RunAsync(column, broker.BootstrapServers, "overhead", $"{name}-{round}", cell.Messages);
                    KafkaBench.Print($"kafka-overhead.{cell.Name}.{name}.run{round}", run, broker.CpuSeconds - brokerCpu);
                    if (run.Probe is { } probe && round == 1)
                    {
                        Console.WriteLine($"kafka-overhead.{cell.Name}.{name}.host: generated service host answered {probe}");
                    }

                    result.Add(column, run);
                }
                catch (Exception ex) when (ex is not OutOfMemoryException)
                {
                    // One column's failure (a timeout, a client's error) must not end a long run: the cell says why, the rest goes on.
                    Console.WriteLine($"kafka-overhead.{cell.Name}.{name}.run{round}: failed: {ex.GetType().Name}: {ex.Message.ReplaceLineEndings(" ")}");
                    result.Fail(column, ex.GetType().Name);
                }
            }
        }

        Console.WriteLine($"kafka-overhead.{cell.Name}: {result.Describe(matrix.Columns, kcatMissing: kcat is null)}");
        Console.WriteLine($"kafka-overhead.{cell.Name}.wall_time: {watch.Elapsed.TotalSeconds:F0} s (broker, backlog, {matrix.Rounds} round(s) of every column, hosts started and stopped)");
        return result;
    }

    private Task<KafkaBench.RunResult> RunAsync(OverheadColumn column, string bootstrap, string topic, string group, int messages) => column switch
    {
        OverheadColumn.Plain => KafkaBench.RunPlainAsync(bootstrap, topic, group, messages, TimeSpan.Zero, Timeout, plainKafka),
        OverheadColumn.Tmq => KafkaBench.RunTmqAsync(
            bootstrap, topic, group, messages, TimeSpan.Zero, TmqSettings, kafka, Timeout, generatedHost: matrix.GeneratedHost),
        OverheadColumn.Wolverine => WolverineConsumer.RunAsync(bootstrap, topic, group, messages, matrix.WolverineBuffered, Timeout),
        OverheadColumn.Kcat => KcatConsumer.RunAsync(kcat ?? throw new InvalidOperationException("kcat was not found."), bootstrap, topic, group, messages, kcatKafka, Timeout),
        _ => throw new ArgumentOutOfRangeException(nameof(column), column, null),
    };
}
