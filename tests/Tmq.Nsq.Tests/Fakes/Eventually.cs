namespace Tmq.Nsq.Tests.Fakes;

/// <summary>Polls a condition until a deadline: for effects with no event to wait on.</summary>
internal static class Eventually
{
    public static readonly TimeSpan Timeout = TimeSpan.FromSeconds(15);

    public static Task TrueAsync(Func<bool> condition, string because, TimeSpan? timeout = null) =>
        TrueAsync(() => Task.FromResult(condition()), () => because, timeout);

    /// <summary>The same for a condition that must be awaited (an HTTP query); <paramref name="because"/> is read at the deadline, so it can say what was seen last.</summary>
    public static async Task TrueAsync(Func<Task<bool>> condition, Func<string> because, TimeSpan? timeout = null)
    {
        var limit = timeout ?? Timeout;
        var deadline = DateTime.UtcNow + limit;
        while (!await condition())
        {
            Assert.True(DateTime.UtcNow < deadline, $"Timed out after {limit}: {because()}");
            await Task.Delay(10);
        }
    }

    /// <summary>Awaits <paramref name="task"/>, failing the test if it does not finish in time.</summary>
    public static async Task<T> Within<T>(this Task<T> task, TimeSpan? timeout = null)
    {
        try
        {
            return await task.WaitAsync(timeout ?? Timeout);
        }
        catch (TimeoutException)
        {
            Assert.Fail($"The operation did not finish within {timeout ?? Timeout}.");
            throw;
        }
    }

    public static async Task Within(this Task task, TimeSpan? timeout = null)
    {
        try
        {
            await task.WaitAsync(timeout ?? Timeout);
        }
        catch (TimeoutException)
        {
            Assert.Fail($"The operation did not finish within {timeout ?? Timeout}.");
        }
    }
}
