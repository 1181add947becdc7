namespace Tmq.Kafka.Tests.Fakes;

/// <summary>Polls a condition until a deadline: for effects with no event to wait on.</summary>
internal static class Eventually
{
    public static async Task TrueAsync(Func<Task<bool>> condition, TimeSpan timeout, string because)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (!await condition())
        {
            Assert.True(DateTime.UtcNow < deadline, $"Timed out after {timeout}: {because}");
            await Task.Delay(20);
        }
    }

    public static Task TrueAsync(Func<bool> condition, TimeSpan timeout, string because) =>
        TrueAsync(() => Task.FromResult(condition()), timeout, because);

    /// <summary>
    /// Repeats <paramref name="send"/> until it succeeds, for sends with a deliberately short
    /// delivery timeout that may expire while the client is still connecting (slow CI machines).
    /// </summary>
    public static Task DeliveredAsync(Func<Task> send, string because) =>
        TrueAsync(
            async () =>
            {
                try
                {
                    await send();
                    return true;
                }
                catch (Exception ex) when (IsTimeout(ex))
                {
                    return false;
                }
            },
            TimeSpan.FromSeconds(15),
            because);

    private static bool IsTimeout(Exception ex) => ex switch
    {
        Confluent.Kafka.KafkaException k => k.Error.Code == Confluent.Kafka.ErrorCode.Local_MsgTimedOut,
        TmqProduceException t => t.IsTransient,
        _ => false,
    };

    /// <summary>Awaits <paramref name="task"/>, failing the test if it does not finish within <paramref name="timeout"/>.</summary>
    public static async Task<T> Within<T>(this Task<T> task, TimeSpan timeout)
    {
        try
        {
            return await task.WaitAsync(timeout);
        }
        catch (TimeoutException)
        {
            Assert.Fail($"The operation did not finish within {timeout}.");
            throw;
        }
    }
}
