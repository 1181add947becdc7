namespace Tmq.Chaos.Tests;

/// <summary>Polls a condition with a deadline while workers run: fails at once if a worker exits, or at the deadline.</summary>
internal static class Until
{
    private static readonly TimeSpan Interval = TimeSpan.FromMilliseconds(20);

    public static Task TrueAsync(Func<Task<bool>> condition, string what, WorkerProcess worker, TimeSpan? limit = null) =>
        TrueAsync(condition, what, () => worker.HasExited ? $"the worker exited ({worker.ExitCode})" : null, () => worker.Output, limit ?? TimeSpan.FromSeconds(60), Interval);

    public static Task TrueAsync(Func<bool> condition, string what, WorkerProcess worker, TimeSpan? limit = null) =>
        TrueAsync(() => Task.FromResult(condition()), what, worker, limit);

    /// <summary>
    /// Polls every <paramref name="interval"/> until <paramref name="condition"/> holds; fails as soon as
    /// <paramref name="failure"/> names a reason (say a worker that exited), or at the deadline,
    /// quoting <paramref name="output"/>.
    /// </summary>
    public static async Task TrueAsync(Func<Task<bool>> condition, string what, Func<string?> failure, Func<string> output, TimeSpan limit, TimeSpan interval)
    {
        var deadline = DateTime.UtcNow + limit;
        while (!await condition())
        {
            if (failure() is { } reason)
            {
                Assert.Fail($"{reason} before {what}:\n{output()}");
            }

            if (DateTime.UtcNow > deadline)
            {
                Assert.Fail($"not within the time limit: {what}.\n{output()}");
            }

            await Task.Delay(interval);
        }
    }
}
