using System.Globalization;

namespace Tmq.Benchmarks;

/// <summary>A consumer that <c>kafka-overhead</c> measures on every cell's backlog.</summary>
internal enum OverheadColumn
{
    /// <summary>The plain Confluent.Kafka loop (the baseline).</summary>
    Plain,

    /// <summary>The Tmq consumer.</summary>
    Tmq,

    /// <summary>WolverineFx.Kafka, the nearest .NET peer.</summary>
    Wolverine,

    /// <summary>kcat, the client's ceiling.</summary>
    Kcat,
}

/// <summary>One cell of the matrix: a backlog of one batch shape, partition count and message size.</summary>
internal sealed record OverheadCell(BatchShape Shape, int Partitions, int ValueSize, int Messages, bool Capped)
{
    public string Name => $"{KafkaBacklog.Name(Shape)}.p{Partitions}.{OverheadMatrix.Size(ValueSize)}";
}

/// <summary>
/// <c>kafka-overhead</c>'s options: which cells (batch shapes x partitions x message sizes), which
/// columns, how many rounds, how large the backlogs.
/// </summary>
/// <remarks>
/// <para>The default run is one row of the matrix, both batch shapes over 32 partitions at 100 B;
/// <c>--matrix full</c> runs all 18 cells (shapes full and default, partitions 6, 32 and 128,
/// sizes 100 B, 1 KB and 10 KB). <c>--shapes</c>, <c>--partitions</c> and <c>--sizes</c> (comma
/// lists) replace a preset's list; <c>--columns</c> picks from plain,tmq,wolverine,kcat;
/// <c>--wolverine-mode buffered</c> runs Wolverine's listener in its default mode (see <see cref="WolverineConsumer"/>).</para>
/// <para>Warm-up: <c>--warmup</c> (200,000) x 100 B over 8 partitions, drained three times by every .NET column first.</para>
/// <para>Backlog: <c>--messages</c> (400,000) messages whatever their size, times <c>--scale</c>
/// (1; 0.02 makes a smoke run), or as many as the mock retains over the cell's partitions if that
/// is fewer: about 120,000-190,000 x 100 B over 6 partitions; 20,000-24,000 x 1 KB over 6 and
/// 110,000-127,000 over 32; 2,200-2,400 x 10 KB over 6, 11,800-13,000 over 32 and 47,000-52,000
/// over 128 (the default shape's small batches cost more). Such a cell says "capped"; the smallest
/// read in a fraction of a second, so start-up weighs on them. A backlog within librdkafka's default
/// prefetch (<c>queued.min.messages</c> 100,000, <c>queued.max.messages.kbytes</c> 64 MiB), as in a
/// capped cell or a run with <c>--scale</c> below 1, is fetched whole by the plain loop and kcat while
/// they start, which flatters them: read such ratios as start-up figures, not throughput.</para>
/// </remarks>
internal sealed class OverheadMatrix
{
    private static readonly string[] ListFlags = ["--shapes", "--partitions", "--sizes"];

    public required IReadOnlyList<OverheadCell> Cells { get; init; }

    public required IReadOnlyList<OverheadColumn> Columns { get; init; }

    public required int Rounds { get; init; }

    public required double Scale { get; init; }

    /// <summary>The warm-up backlog (<c>--warmup</c>, 200,000 x 100 B, times <see cref="Scale"/>).</summary>
    public required int WarmUpMessages { get; init; }

    public required string Preset { get; init; }

    /// <summary>False: the Tmq consumer in a host of its own (<c>--host bare</c>), as before the matrix.</summary>
    public required bool GeneratedHost { get; init; }

    /// <summary>True: Wolverine's listener in its default mode, BufferedInMemory (<c>--wolverine-mode buffered</c>), not inline.</summary>
    public required bool WolverineBuffered { get; init; }

    public static OverheadMatrix Parse(string[] args)
    {
        var preset = Args.Text(args, "--matrix") ?? "default";
        var full = preset switch
        {
            "full" => true,
            "default" => false,
            _ => throw new ArgumentException($"--matrix is '{preset}'; it takes default (one row: both shapes, 32 partitions, 100 B) or full (18 cells)."),
        };
        var shapes = List(args, "--shapes", "full,default", ParseShape);
        var partitions = List(args, "--partitions", full ? "6,32,128" : "32", static p => Positive("--partitions", p));
        var sizes = List(args, "--sizes", full ? "100,1024,10240" : "100", static s => Positive("--sizes", s));
        var columns = List(args, "--columns", "plain,tmq,wolverine,kcat", ParseColumn);
        var messages = Args.Int(args, "--messages", 400_000);
        var scale = double.TryParse(Args.Text(args, "--scale"), NumberStyles.Float, CultureInfo.InvariantCulture, out var s) ? s : 1.0;
        if (scale <= 0 || messages <= 0)
        {
            throw new ArgumentException("--messages and --scale must be positive.");
        }

        var host = Args.Text(args, "--host") ?? "generated";
        if (host is not ("generated" or "bare"))
        {
            throw new ArgumentException($"--host is '{host}'; it takes generated (the host a generated service runs) or bare (the consumer alone).");
        }

        var wolverine = Args.Text(args, "--wolverine-mode") ?? "inline";
        if (wolverine is not ("inline" or "buffered"))
        {
            throw new ArgumentException($"--wolverine-mode is '{wolverine}'; it takes inline (ProcessInline) or buffered (BufferedInMemory, Wolverine's default).");
        }

        var cells = new List<OverheadCell>();
        foreach (var shape in shapes)
        {
            foreach (var p in partitions)
            {
                foreach (var size in sizes)
                {
                    var wanted = Math.Max(1, (int)(messages * scale));
                    var cap = KafkaBacklog.MaxMessages(p, size, shape);
                    cells.Add(new OverheadCell(shape, p, size, Math.Min(wanted, cap), wanted > cap));
                }
            }
        }

        return new OverheadMatrix
        {
            Cells = cells,
            Columns = [.. columns.Distinct().Order()],
            Rounds = Math.Max(1, Args.Int(args, "--rounds", 3)),
            Scale = scale,
            WarmUpMessages = Args.Int(args, "--warmup", 200_000) is > 0 and var warmUp ? warmUp : throw new ArgumentException("--warmup must be positive."),
            Preset = ListFlags.Any(f => Args.Text(args, f) is not null) ? $"{preset}, lists replaced" : preset,
            GeneratedHost = host == "generated",
            WolverineBuffered = wolverine == "buffered",
        };
    }

    public static string Size(int bytes) => bytes % 1024 == 0 ? $"{bytes / 1024}KB" : $"{bytes}B";

    public static string Name(OverheadColumn column) => column.ToString().ToLowerInvariant();

    private static List<T> List<T>(string[] args, string flag, string fallback, Func<string, T> parse) =>
        [.. (Args.Text(args, flag) ?? fallback).Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Select(parse)];

    private static BatchShape ParseShape(string text) => text switch
    {
        "full" => BatchShape.Full,
        "default" => BatchShape.Default,
        _ => throw new ArgumentException($"--shapes has '{text}'; it takes full (1 MB batches) and default (a default producer's small batches)."),
    };

    private static OverheadColumn ParseColumn(string text) =>
        Enum.TryParse<OverheadColumn>(text, ignoreCase: true, out var column)
            ? column
            : throw new ArgumentException($"--columns has '{text}'; it takes plain, tmq, wolverine and kcat.");

    private static int Positive(string flag, string text) =>
        int.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out var value) && value > 0
            ? value
            : throw new ArgumentException($"{flag} has '{text}'; it takes positive whole numbers.");
}
