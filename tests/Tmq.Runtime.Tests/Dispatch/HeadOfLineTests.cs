using System.Collections.Concurrent;
using Tmq.Tests.Fakes;

namespace Tmq.Tests.Dispatch;

public sealed class HeadOfLineTests
{
    [Theory]
    [InlineData(1)]
    [InlineData(8)]
    public async Task RetryingKey_LongBackoff_OtherKeysKeepFlowing(int concurrency)
    {
        var time = new TimerAwareTimeProvider();
        var order = new ConcurrentQueue<string>();
        var othersDone = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var others = 0;
        const int otherCount = 25 * 4;
        var handler = new DelegateHandler((message, _) =>
        {
            var value = message.ValueAsString();
            order.Enqueue($"{value}#{message.Attempt}");
            if (value == "A1" && message.Attempt == 1)
            {
                throw new TimeoutException("dependency timed out");
            }

            if (message.KeyAsString() != "A" && Interlocked.Increment(ref others) == otherCount)
            {
                othersDone.TrySetResult();
            }

            return Task.CompletedTask;
        });
        var options = new ConsumerOptions
        {
            Topic = "orders",
            Concurrency = concurrency,
            Retry = { InitialDelay = TimeSpan.FromMinutes(1), MaxDelay = TimeSpan.FromMinutes(1), Jitter = 0 },
        };
        await using var consumer = new InMemoryConsumer(handler, options, time, partitions: 1);

        await consumer.PublishAsync("A", "A1");
        await consumer.PublishAsync("A", "A2");
        for (var round = 0; round < 4; round++)
        {
            for (var key = 'B'; key <= 'Z'; key++)
            {
                await consumer.PublishAsync(key.ToString(), $"{key}{round}");
            }
        }

        // Every other key finishes while A waits a full minute of (fake) time for its retry.
        await othersDone.Task.WaitAsync(TestTimeout.Default);
        Assert.DoesNotContain("A2#1", order);
        Assert.Equal(0, consumer.CommittedOffsets()[0]);

        await time.WaitForTimersAsync(1);
        time.Advance(TimeSpan.FromMinutes(1));
        await consumer.WaitForIdleAsync(TestTimeout.Default);

        var aOrder = order.Where(o => o.StartsWith('A')).ToList();
        Assert.Equal(["A1#1", "A1#2", "A2#1"], aOrder);
        Assert.Equal(2 + otherCount, consumer.CommittedOffsets()[0]);
    }
}
