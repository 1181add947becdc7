using System.Diagnostics;

namespace Tmq.Chaos.Tests;

/// <summary>
/// Measures the longest interval in which the record did not grow (nothing was handled), from the
/// first handling until cancelled, by looking at the record's length every 100 ms.
/// </summary>
internal static class StallWatch
{
    private static readonly TimeSpan Interval = TimeSpan.FromMilliseconds(100);

    public static async Task<(TimeSpan Longest, TimeSpan EndedAt)> RunAsync(string record, Stopwatch clock, CancellationToken stop)
    {
        using var timer = new PeriodicTimer(Interval);
        var length = 0L;
        TimeSpan? grew = null;
        var longest = TimeSpan.Zero;
        var endedAt = TimeSpan.Zero;
        try
        {
            while (await timer.WaitForNextTickAsync(stop))
            {
                var now = clock.Elapsed;
                var current = File.Exists(record) ? new FileInfo(record).Length : 0;
                if (current > length)
                {
                    Longer(now);
                    length = current;
                    grew = now;
                }
            }
        }
        catch (OperationCanceledException)
        {
            // The storm is over.
        }

        // A stall still going on when the storm ended counts too.
        Longer(clock.Elapsed);
        return (longest, endedAt);

        void Longer(TimeSpan now)
        {
            if (grew is { } since && now - since > longest)
            {
                longest = now - since;
                endedAt = now;
            }
        }
    }
}
