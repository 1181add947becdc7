namespace Tmq.Nsq.Tests.DevServer;

/// <summary>Polls a condition until it holds or a deadline passes: for state the server reaches on its own threads.</summary>
internal static class Eventually
{
    public static async Task TrueAsync(Func<bool> condition, string? because = null, TimeSpan? within = null)
    {
        var deadline = DateTime.UtcNow + (within ?? TimeSpan.FromSeconds(10));
        while (!condition())
        {
            if (DateTime.UtcNow > deadline)
            {
                Assert.Fail($"Condition not met within {within ?? TimeSpan.FromSeconds(10)}. {because}");
            }

            await Task.Delay(10);
        }
    }
}
