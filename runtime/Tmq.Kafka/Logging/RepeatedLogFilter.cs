using System.Text.RegularExpressions;
using Microsoft.Extensions.Logging;

namespace Tmq.Kafka;

/// <summary>
/// Lets the first of a run of like client reports (the same but for their numbers) through, then
/// at most one per window, with how many were held back. With a broker down, librdkafka reports
/// every failed reconnect of every broker connection, as a log line and again as an error:
/// measured 40 lines a second from one consumer against a stopped development broker.
/// </summary>
/// <remarks>Safe to call from any thread: librdkafka calls back from its own.</remarks>
internal sealed partial class RepeatedLogFilter(TimeProvider time)
{
    /// <summary>How long like reports are held back after one is logged.</summary>
    public static readonly TimeSpan Window = TimeSpan.FromSeconds(30);

    /// <summary>Distinct reports remembered; past that the memory starts afresh (a report may then log early).</summary>
    private const int MaxRemembered = 256;

    private readonly Lock _gate = new();
    private readonly Dictionary<string, (long LoggedAt, int Held)> _seen = new(StringComparer.Ordinal);

    /// <summary>
    /// Whether to log <paramref name="report"/> at <paramref name="level"/> now, and the text to log:
    /// the report, with the number of like ones held back since one was last logged. Reports
    /// below Warning always pass as they are (they are off unless someone is debugging).
    /// </summary>
    public bool Admit(LogLevel level, string report, out string text)
    {
        text = report;
        if (level < LogLevel.Warning)
        {
            return true;
        }

        // Reports that differ only in their numbers ("after 0ms" / "after 3ms", "1/1 brokers") are one,
        // and so are a log line and an error that report one failure ("[thrd:...]: " starts the log line's).
        var key = Digits().Replace(ThreadPrefix().Replace(report, ""), "#");
        int held;
        lock (_gate)
        {
            var now = time.GetTimestamp();
            if (_seen.TryGetValue(key, out var seen) && time.GetElapsedTime(seen.LoggedAt, now) < Window)
            {
                _seen[key] = (seen.LoggedAt, seen.Held + 1);
                return false;
            }

            if (_seen.Count >= MaxRemembered)
            {
                _seen.Clear();
            }

            held = seen.Held;
            _seen[key] = (now, 0);
        }

        if (held > 0)
        {
            text = $"{report} ({held} more like it in the last {Window.TotalSeconds:0} s not logged)";
        }

        return true;
    }

    [GeneratedRegex("[0-9]+")]
    private static partial Regex Digits();

    [GeneratedRegex(@"\A\[thrd:[^\]]*\]: ")]
    private static partial Regex ThreadPrefix();
}
