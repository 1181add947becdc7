namespace Tmq.Tests.Fakes;

/// <summary>Polls a condition until it holds, failing at the real-time ceiling: for states with no event to await.</summary>
internal static class Eventually
{
    /// <summary>
    /// Long enough that the poll leaves the cores to the workers it waits for (a yield loop kept
    /// one busy, which on a loaded machine delayed the very state it waited for), short enough to
    /// add nothing noticeable to a test.
    /// </summary>
    private static readonly TimeSpan PollInterval = TimeSpan.FromMilliseconds(10);

    public static async Task TrueAsync(Func<bool> condition)
    {
        var deadline = DateTime.UtcNow + TestTimeout.Default;
        while (!condition())
        {
            Assert.True(DateTime.UtcNow < deadline, "condition not met before the deadline");
            await Task.Delay(PollInterval);
        }
    }
}
