using System.Text;

namespace Tmq.Benchmarks;

/// <summary>One cell's runs, column by column, and the medians its line and the summary table show.</summary>
internal sealed class OverheadCellResult(OverheadCell cell, KafkaBacklog.Produced produced)
{
    private readonly Dictionary<OverheadColumn, List<KafkaBench.RunResult>> _runs = [];
    private readonly Dictionary<OverheadColumn, string> _failures = [];

    public OverheadCell Cell => cell;

    public KafkaBacklog.Produced Produced => produced;

    public void Add(OverheadColumn column, KafkaBench.RunResult run)
    {
        if (!_runs.TryGetValue(column, out var runs))
        {
            _runs[column] = runs = [];
        }

        runs.Add(run);
    }

    public void Fail(OverheadColumn column, string why) => _failures.TryAdd(column, why);

    /// <summary>The median rate (msg/s from subscription to the last message) of a column's runs, or null when it has none.</summary>
    public double? Rate(OverheadColumn column) =>
        _runs.TryGetValue(column, out var runs) ? KafkaBench.Median(runs.Select(static r => r.Rate)) : null;

    /// <summary>The median CPU per message in microseconds (the whole process, or kcat's), or null.</summary>
    public double? CpuPerMessage(OverheadColumn column) =>
        _runs.TryGetValue(column, out var runs) ? KafkaBench.Median(runs.Select(static r => r.CpuSeconds)) / cell.Messages * 1e6 : null;

    /// <summary>Tmq's median rate over <paramref name="baseline"/>'s, or null when either has no run.</summary>
    public double? TmqOver(OverheadColumn baseline) =>
        Rate(OverheadColumn.Tmq) is { } tmq && Rate(baseline) is { } other ? tmq / other : null;

    /// <summary>What a column shows where it has no figure: why, or "-" when it was not run.</summary>
    public string Missing(OverheadColumn column, bool kcatMissing) =>
        _failures.TryGetValue(column, out var why) && !_runs.ContainsKey(column) ? $"failed ({why})"
        : column == OverheadColumn.Kcat && kcatMissing ? "skipped: kcat not found"
        : "-";

    /// <summary>The cell's line: every column's median rate and CPU per message, then Tmq's ratios.</summary>
    public string Describe(IReadOnlyList<OverheadColumn> columns, bool kcatMissing)
    {
        var line = new StringBuilder();
        foreach (var column in columns)
        {
            line.Append(line.Length == 0 ? string.Empty : ", ").Append(OverheadMatrix.Name(column)).Append(' ');
            line.Append(Rate(column) is { } rate ? $"{rate:F0} msg/s ({CpuPerMessage(column):F2} us/msg)" : Missing(column, kcatMissing));
        }

        foreach (var baseline in columns.Where(static c => c != OverheadColumn.Tmq))
        {
            if (TmqOver(baseline) is { } ratio)
            {
                line.Append($"; tmq/{OverheadMatrix.Name(baseline)} {ratio:F2}x");
            }
        }

        var failed = _failures.Where(f => _runs.ContainsKey(f.Key)).Select(f => OverheadMatrix.Name(f.Key)).ToList();
        return line.Append(failed.Count > 0 ? $" (some runs failed: {string.Join(", ", failed)}; medians of the rest)" : string.Empty).ToString();
    }
}

/// <summary>The table at the end of <c>kafka-overhead</c>: one line per cell.</summary>
internal static class OverheadSummary
{
    private static readonly (string Title, int Width)[] Headings =
    [
        ("shape", 7), ("partitions", 10), ("size", 5), ("plain msg/s", 11), ("tmq msg/s", 11), ("tmq/plain", 9),
        ("wolverine msg/s", 15), ("tmq/wolverine", 13), ("kcat msg/s", 10), ("tmq/kcat", 8), ("cpu us/msg tmq vs plain", 23),
    ];

    /// <param name="kcatMissing">kcat was asked for (<c>--columns</c>) and not found.</param>
    public static void Print(OverheadMatrix matrix, IReadOnlyList<OverheadCellResult> cells, bool kcatMissing)
    {
        Console.WriteLine();
        Console.WriteLine(
            $"kafka-overhead.summary: medians of {matrix.Rounds} round(s); msg/s from subscription (or host start) to the last message handled; " +
            "CPU per message of the whole process (kcat: its own), librdkafka's threads included");
        if (kcatMissing)
        {
            Console.WriteLine("kafka-overhead.kcat: skipped: kcat not found (Debian's package kcat)");
        }

        Console.WriteLine(Row(Headings.Select(static h => h.Title)));
        foreach (var result in cells)
        {
            var cell = result.Cell;
            Console.WriteLine(Row(
            [
                KafkaBacklog.Name(cell.Shape),
                cell.Partitions.ToString(System.Globalization.CultureInfo.InvariantCulture),
                OverheadMatrix.Size(cell.ValueSize),
                Rate(result, OverheadColumn.Plain, kcatMissing),
                Rate(result, OverheadColumn.Tmq, kcatMissing),
                Ratio(result, OverheadColumn.Plain),
                Rate(result, OverheadColumn.Wolverine, kcatMissing),
                Ratio(result, OverheadColumn.Wolverine),
                Rate(result, OverheadColumn.Kcat, kcatMissing),
                Ratio(result, OverheadColumn.Kcat),
                result.CpuPerMessage(OverheadColumn.Tmq) is { } tmq && result.CpuPerMessage(OverheadColumn.Plain) is { } plain
                    ? $"{tmq:F2} vs {plain:F2}"
                    : "-",
            ]));
        }
    }

    private static string Rate(OverheadCellResult result, OverheadColumn column, bool kcatMissing) =>
        result.Rate(column) is { } rate ? $"{rate:N0}" : result.Missing(column, kcatMissing) is var missing && missing.StartsWith("skipped", StringComparison.Ordinal) ? "skipped" : missing;

    private static string Ratio(OverheadCellResult result, OverheadColumn baseline) =>
        result.TmqOver(baseline) is { } ratio ? $"{ratio:F2}x" : "-";

    private static string Row(IEnumerable<string> values) =>
        string.Join("  ", values.Zip(Headings, static (v, h) => h.Title == "shape" ? v.PadRight(h.Width) : v.PadLeft(h.Width)));
}
