namespace Tmq.Tests.Fakes;

/// <summary>Polls a condition until it holds, failing at the real-time ceiling: for states with no event to await.</summary>
internal static class Eventually
{
    public static async Task TrueAsync(Func<bool> condition)
    {
        var deadline = DateTime.UtcNow + TestTimeout.Default;
        while (!condition())
        {
            Assert.True(DateTime.UtcNow < deadline, "condition not met before the deadline");
            await Task.Yield();
        }
    }
}
