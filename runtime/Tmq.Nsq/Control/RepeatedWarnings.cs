using System.Text.RegularExpressions;

namespace Tmq.Nsq.Control;

/// <summary>
/// Lets the first of a run of like warnings (the same but for their numbers) through, then at most
/// one per <see cref="Window"/>, saying how many were held back. A status report fails again every
/// interval while nsqd is down: once per second at the shortest interval. The NSQ counterpart of
/// Tmq.Kafka's RepeatedLogFilter, which that package keeps to itself.
/// </summary>
/// <remarks>Thread-safe.</remarks>
internal sealed partial class RepeatedWarnings(TimeProvider time)
{
    /// <summary>How long like warnings are held back after one is logged.</summary>
    public static readonly TimeSpan Window = TimeSpan.FromSeconds(30);

    /// <summary>Distinct warnings remembered; past that the memory starts afresh (a warning may then log early).</summary>
    private const int MaxRemembered = 64;

    private readonly Lock _gate = new();
    private readonly Dictionary<string, (long LoggedAt, int Held)> _seen = new(StringComparer.Ordinal);

    /// <summary>Whether to log <paramref name="warning"/> now, and the text to log (with the number held back since the last like one).</summary>
    public bool Admit(string warning, out string text)
    {
        text = warning;

        // Ports, byte counts and timings differ from one failure to the next of the same kind.
        var kind = Digits().Replace(warning, "#");
        int held;
        lock (_gate)
        {
            var now = time.GetTimestamp();
            if (_seen.TryGetValue(kind, out var seen) && time.GetElapsedTime(seen.LoggedAt, now) < Window)
            {
                _seen[kind] = (seen.LoggedAt, seen.Held + 1);
                return false;
            }

            if (_seen.Count >= MaxRemembered)
            {
                _seen.Clear();
            }

            held = seen.Held;
            _seen[kind] = (now, 0);
        }

        if (held > 0)
        {
            text = $"{warning} ({held} more like it in the last {Window.TotalSeconds:0} s not logged)";
        }

        return true;
    }

    /// <summary>Forgets every warning: after a recovery, the next failure is news.</summary>
    public void Clear()
    {
        lock (_gate)
        {
            _seen.Clear();
        }
    }

    [GeneratedRegex("[0-9]+")]
    private static partial Regex Digits();
}
