using System.Diagnostics;
using System.Text;

namespace Tmq.Chaos.Tests;

/// <summary>
/// Measures, from the start until cancelled, the longest interval in which nothing was handled at
/// all, and the longest in which one key's handling did not advance (no message of it handled for
/// the first time), by reading what the record gained every 100 ms. The producer writes every key
/// every round, so a key that does not advance is held up (its partition waits for a dead member,
/// a rebalance, or a stuck consumer), not idle. The first workers' start counts.
/// </summary>
internal static class RecordStallWatch
{
    private static readonly TimeSpan Interval = TimeSpan.FromMilliseconds(100);

    public static async Task<Stalls> RunAsync(string record, Stopwatch clock, CancellationToken stop)
    {
        using var timer = new PeriodicTimer(Interval);
        var start = clock.Elapsed;
        var any = new Stall(start);
        var keys = new Dictionary<string, (int Sequence, Stall Stall)>();
        var tail = new StringBuilder();
        FileStream? file = null;
        try
        {
            while (await timer.WaitForNextTickAsync(stop))
            {
                var now = clock.Elapsed;
                if (file is null && File.Exists(record))
                {
                    file = new FileStream(record, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
                }

                if (file is null || !ReadNew(file, tail, out var lines))
                {
                    continue;
                }

                any.Advance(now);
                foreach (var line in lines)
                {
                    var parts = line.Split(' ');
                    var sequence = int.Parse(parts[1], System.Globalization.CultureInfo.InvariantCulture);
                    var known = keys.TryGetValue(parts[0], out var key) ? key : (Sequence: 0, Stall: new Stall(start));
                    if (sequence > known.Sequence)
                    {
                        known.Stall.Advance(now);
                        keys[parts[0]] = (sequence, known.Stall);
                    }
                }
            }
        }
        catch (OperationCanceledException)
        {
            // The storm is over.
        }
        finally
        {
            file?.Dispose();
        }

        // A stall still going on when the storm ended counts too.
        var end = clock.Elapsed;
        any.Advance(end);
        var longestKey = ("none", new Stall(start));
        foreach (var (name, (_, stall)) in keys)
        {
            stall.Advance(end);
            if (stall.Longest > longestKey.Item2.Longest)
            {
                longestKey = (name, stall);
            }
        }

        return new Stalls(any.Longest, any.EndedAt, longestKey.Item1, longestKey.Item2.Longest, longestKey.Item2.EndedAt);
    }

    /// <summary>Appends what the record gained to <paramref name="tail"/> and returns its complete lines.</summary>
    private static bool ReadNew(FileStream file, StringBuilder tail, out List<string> lines)
    {
        lines = [];
        var buffer = new byte[64 * 1024];
        int read;
        var any = false;
        while ((read = file.Read(buffer)) > 0)
        {
            tail.Append(Encoding.ASCII.GetString(buffer, 0, read));
            any = true;
        }

        var text = tail.ToString();
        var complete = text.LastIndexOf('\n');
        if (complete < 0)
        {
            return any;
        }

        lines.AddRange(text[..complete].Split('\n'));
        tail.Clear().Append(text[(complete + 1)..]);
        return any;
    }

    /// <summary>The longest interval between two advances, and when it ended.</summary>
    private sealed class Stall(TimeSpan since)
    {
        private TimeSpan _last = since;

        public TimeSpan Longest { get; private set; }

        public TimeSpan EndedAt { get; private set; }

        public void Advance(TimeSpan now)
        {
            if (now - _last > Longest)
            {
                Longest = now - _last;
                EndedAt = now;
            }

            _last = now;
        }
    }
}

/// <summary>The longest stalls: of all handling, and of one key's (named).</summary>
internal sealed record Stalls(TimeSpan Longest, TimeSpan EndedAt, string Key, TimeSpan LongestForKey, TimeSpan KeyEndedAt);
