using Tmq.Tests.Fakes;

namespace Tmq.Tests.Dispatch;

public sealed class BackpressureTests
{
    [Fact]
    public async Task Publish_BufferFull_WaitsUntilLowWaterMark()
    {
        var gates = Enumerable.Range(0, 8).Select(_ => new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously)).ToArray();
        var handler = new DelegateHandler((message, _) => gates[int.Parse(message.ValueAsString(), System.Globalization.CultureInfo.InvariantCulture)].Task);
        var options = new ConsumerOptions { Topic = "orders", Concurrency = 4, MaxBufferedMessages = 4 };
        await using var consumer = new InMemoryConsumer(handler, options, partitions: 1);

        for (var i = 0; i < 4; i++)
        {
            await consumer.PublishAsync($"k{i}", i.ToString(System.Globalization.CultureInfo.InvariantCulture));
        }

        var fifth = consumer.PublishAsync("k4", "4").AsTask();
        Assert.False(fifth.IsCompleted);
        Assert.Equal(4, consumer.Buffered);

        // One finished leaves 3 buffered: above the low-water mark (2), so still paused.
        gates[0].SetResult();
        await Eventually.TrueAsync(() => consumer.Buffered == 3);
        Assert.False(fifth.IsCompleted);

        gates[1].SetResult();
        await fifth.WaitAsync(TestTimeout.Default);
        foreach (var gate in gates)
        {
            gate.TrySetResult();
        }

        await consumer.WaitForIdleAsync(TestTimeout.Default);
        Assert.Equal(5, consumer.Handled.Count);
    }
}
