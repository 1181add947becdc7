namespace Tmq.Benchmarks;

/// <summary>
/// <c>kafka-overhead</c>: a no-op handler draining a backlog (10,000 keys), cell by cell over a
/// matrix of batch shapes, partition counts and message sizes (<see cref="OverheadMatrix"/>), with
/// four columns on the same topic of the same broker, each in a fresh group: the plain
/// Confluent.Kafka loop (Consume + StoreOffset, librdkafka defaults; the baseline), the Tmq consumer
/// (its defaults, Key ordering) in the host a generated service runs (<see cref="GeneratedServiceHost"/>),
/// WolverineFx.Kafka (<see cref="WolverineConsumer"/>) and kcat (<see cref="KcatConsumer"/>).
/// Each cell prints its medians and Tmq's ratios; a table of all cells ends the run.
/// Target: Tmq at least 2x the plain loop in every cell (issue 16).
/// </summary>
/// <remarks>
/// Options (besides the matrix's, see <see cref="OverheadMatrix"/>): <c>--rounds</c> (3),
/// <c>--host bare</c> (the Tmq consumer alone in a host, as this benchmark ran before the matrix),
/// <c>--kafka key=value</c> (librdkafka overrides for the Tmq consumer, as
/// <c>Tmq:Consumers:main:Kafka:key</c>), <c>--plain-kafka key=value</c> and
/// <c>--kcat-kafka key=value</c> (the same for the plain loop and for kcat, as <c>-X</c>;
/// investigation only). The .NET columns first drain a warm-up backlog (JIT, connections), not
/// reported. The generated host's console logs, Wolverine's and librdkafka's go to stderr.
/// Environment <c>TMQ_BENCH_LOG=1</c> echoes the Tmq consumer's logs (debug included) to stderr.
/// </remarks>
internal static class KafkaOverheadBenchmark
{
    public static async Task<int> RunAsync(string[] args)
    {
        var matrix = OverheadMatrix.Parse(args);
        var kafka = KafkaBench.KafkaOverrides(args);
        var plainKafka = KafkaBench.KafkaOverrides(args, "--plain-kafka");
        var kcatKafka = KafkaBench.KafkaOverrides(args, "--kcat-kafka");
        var kcat = matrix.Columns.Contains(OverheadColumn.Kcat) ? KcatConsumer.Find() : null;
        var keys = KafkaBench.MakeKeys();

        KafkaBench.PrintLoad("kafka-overhead.start");
        Console.WriteLine($"kafka-overhead.broker: librdkafka mock, {KafkaBench.Brokers} brokers, child process, a fresh one per cell");
        Console.WriteLine($"kafka-overhead.matrix: {matrix.Preset}, {matrix.Cells.Count} cell(s), {matrix.Rounds} round(s), backlog scale {matrix.Scale}");
        Console.WriteLine($"kafka-overhead.columns: {string.Join(", ", matrix.Columns.Select(OverheadMatrix.Name))}");
        Console.WriteLine($"kafka-overhead.tmq_host: {(matrix.GeneratedHost ? "generated service (health endpoint, Prometheus listener, producer, control, console logs at Information on stderr)" : "bare (the consumer alone)")}");
        Console.WriteLine($"kafka-overhead.tmq_kafka_overrides: {KafkaBench.Describe(kafka)}");
        if (matrix.Columns.Contains(OverheadColumn.Wolverine))
        {
            Console.WriteLine($"kafka-overhead.wolverine_listener: {(matrix.WolverineBuffered ? "BufferedInMemory (Wolverine's default; it stops and restarts the consumer past 1,000 buffered)" : "ProcessInline")}");
        }

        if (plainKafka.Count > 0)
        {
            Console.WriteLine($"kafka-overhead.plain_kafka_overrides: {KafkaBench.Describe(plainKafka)} (not the baseline: librdkafka defaults are)");
        }

        if (kcatKafka.Count > 0)
        {
            Console.WriteLine($"kafka-overhead.kcat_kafka_overrides: {KafkaBench.Describe(kcatKafka)} (not the ceiling: librdkafka defaults are)");
        }

        if (matrix.Columns.Contains(OverheadColumn.Kcat))
        {
            Console.WriteLine($"kafka-overhead.kcat: {kcat ?? "skipped: kcat not found (Debian's package kcat)"}");
        }

        var watch = System.Diagnostics.Stopwatch.StartNew();
        var runner = new OverheadRunner(matrix, kafka, plainKafka, kcatKafka, kcat);
        await runner.WarmUpAsync(keys);
        var results = new List<OverheadCellResult>();
        foreach (var cell in matrix.Cells)
        {
            results.Add(await runner.RunCellAsync(cell, keys));
        }

        OverheadSummary.Print(matrix, results, kcatMissing: matrix.Columns.Contains(OverheadColumn.Kcat) && kcat is null);
        Console.WriteLine($"kafka-overhead.wall_time: {watch.Elapsed.TotalMinutes:F1} min");
        KafkaBench.PrintLoad("kafka-overhead.end");
        return 0;
    }
}
