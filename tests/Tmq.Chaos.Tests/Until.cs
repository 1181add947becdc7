namespace Tmq.Chaos.Tests;

/// <summary>Polls a condition with a deadline while a worker runs: fails at once if the worker exits, or at the deadline.</summary>
internal static class Until
{
    public static async Task TrueAsync(Func<Task<bool>> condition, string what, WorkerProcess worker, TimeSpan? limit = null)
    {
        var deadline = DateTime.UtcNow + (limit ?? TimeSpan.FromSeconds(60));
        while (!await condition())
        {
            if (worker.HasExited)
            {
                Assert.Fail($"the worker exited ({worker.ExitCode}) before {what}:\n{worker.Output}");
            }

            if (DateTime.UtcNow > deadline)
            {
                Assert.Fail($"not within the time limit: {what}.\n{worker.Output}");
            }

            await Task.Delay(20);
        }
    }

    public static Task TrueAsync(Func<bool> condition, string what, WorkerProcess worker, TimeSpan? limit = null) =>
        TrueAsync(() => Task.FromResult(condition()), what, worker, limit);
}
