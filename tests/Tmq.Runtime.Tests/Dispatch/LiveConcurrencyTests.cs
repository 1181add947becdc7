using Tmq.Tests.Fakes;

namespace Tmq.Tests.Dispatch;

public sealed class LiveConcurrencyTests
{
    [Fact]
    public async Task SetConcurrency_Raised_MoreHandlersRunAtOnce_Lowered_Fewer()
    {
        var running = 0;
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var handler = new DelegateHandler(async (_, _) =>
        {
            Interlocked.Increment(ref running);
            await release.Task;
            Interlocked.Decrement(ref running);
        });
        await using var consumer = new InMemoryConsumer(handler, new ConsumerOptions { Topic = "t", Concurrency = 2, MaxBufferedMessages = 100 }, partitions: 1);
        for (var i = 0; i < 20; i++)
        {
            await consumer.PublishAsync($"k{i}", "v");
        }

        await Eventually.TrueAsync(() => Volatile.Read(ref running) == 2);
        consumer.Engine!.SetConcurrency(6);
        await Eventually.TrueAsync(() => Volatile.Read(ref running) == 6);
        Assert.Equal(6, consumer.InFlight);

        consumer.Engine.SetConcurrency(1);
        var next = release;
        release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        next.SetResult();

        // The six finish; from then on one handler at a time (the remaining 14 wait on the new gate).
        await Eventually.TrueAsync(() => Volatile.Read(ref running) == 1 && consumer.HandledCount == 6);
        Assert.Equal(1, consumer.InFlight);
        release.SetResult();
        await consumer.WaitForIdleAsync(TestTimeout.Default);
        Assert.Equal(20, consumer.HandledCount);
    }
}
