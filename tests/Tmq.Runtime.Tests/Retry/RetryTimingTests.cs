using System.Collections.Concurrent;
using Tmq.Tests.Fakes;

namespace Tmq.Tests.Retry;

public sealed class RetryTimingTests
{
    [Fact]
    public async Task Retry_FailingHandler_WaitsExactBackoffBetweenAttempts()
    {
        var time = new TimerAwareTimeProvider();
        var signals = new Signals();
        var attempts = new ConcurrentDictionary<int, DateTimeOffset>();
        var handler = new DelegateHandler((message, _) =>
        {
            attempts[message.Attempt] = time.GetUtcNow();
            signals.Set($"attempt {message.Attempt}");
            throw new InvalidOperationException("still failing");
        });
        var options = new ConsumerOptions
        {
            Topic = "orders",
            Retry = { MaxAttempts = 4, InitialDelay = TimeSpan.FromMilliseconds(100), Multiplier = 2, MaxDelay = TimeSpan.FromSeconds(10), Jitter = 0 },
        };
        await using var consumer = new InMemoryConsumer(handler, options, time, partitions: 1);
        var start = time.GetUtcNow();
        await consumer.PublishAsync("k", "v");

        await signals.WaitAsync("attempt 1");
        foreach (var (attempt, delayMs) in new[] { (2, 100), (3, 200), (4, 400) })
        {
            await time.WaitForTimersAsync(attempt - 1);
            time.Advance(TimeSpan.FromMilliseconds(delayMs) - TimeSpan.FromTicks(1));
            Assert.True(consumer.Engine!.RetryWaiting == 1, $"attempt {attempt} was released before its {delayMs} ms backoff");
            time.Advance(TimeSpan.FromTicks(1));
            await signals.WaitAsync($"attempt {attempt}");
        }

        await consumer.WaitForIdleAsync(TestTimeout.Default);
        Assert.Equal(TimeSpan.FromMilliseconds(700), attempts[4] - start);
        var dead = Assert.Single(consumer.DeadLetters);
        Assert.Equal(4, dead.Attempts);
        Assert.IsType<InvalidOperationException>(dead.Exception);
    }

    [Theory]
    [InlineData(0.0, 80)]
    [InlineData(1.0, 120)]
    public async Task Retry_InjectedJitter_ShiftsDelayWithinBounds(double draw, int expectedMs)
    {
        var time = new TimerAwareTimeProvider();
        var signals = new Signals();
        var handler = new DelegateHandler((message, _) =>
        {
            signals.Set($"attempt {message.Attempt}");
            return message.Attempt == 1 ? throw new InvalidOperationException("once") : Task.CompletedTask;
        });
        var options = new ConsumerOptions { Topic = "orders", Retry = { InitialDelay = TimeSpan.FromMilliseconds(100), Jitter = 0.2 } };
        await using var consumer = new InMemoryConsumer(handler, options, time, partitions: 1) { JitterSource = () => draw };
        await consumer.PublishAsync("k", "v");

        await signals.WaitAsync("attempt 1");
        await time.WaitForTimersAsync(1);
        time.Advance(TimeSpan.FromMilliseconds(expectedMs) - TimeSpan.FromTicks(1));
        Assert.Equal(1, consumer.Engine!.RetryWaiting);
        time.Advance(TimeSpan.FromTicks(1));
        await signals.WaitAsync("attempt 2");
        await consumer.WaitForIdleAsync(TestTimeout.Default);
        Assert.Single(consumer.Handled);
    }

    [Fact]
    public async Task Retry_MaxAttemptsChangedLive_AppliesToNextFailure()
    {
        var options = new ConsumerOptions { Topic = "orders", Retry = { MaxAttempts = 1, InitialDelay = TimeSpan.Zero, MaxDelay = TimeSpan.Zero } };
        var handler = new DelegateHandler((message, _) => message.Attempt < 3 ? throw new InvalidOperationException("flaky") : Task.CompletedTask);
        await using var consumer = new InMemoryConsumer(handler, options, partitions: 1);

        await consumer.PublishAsync("k", "first");
        await consumer.WaitForIdleAsync(TestTimeout.Default);
        Assert.Single(consumer.DeadLetters);

        options.Retry.MaxAttempts = 3;
        await consumer.PublishAsync("k", "second");
        await consumer.WaitForIdleAsync(TestTimeout.Default);
        var handled = Assert.Single(consumer.Handled);
        Assert.Equal("second", handled.ValueAsString());
        Assert.Equal(3, handled.Attempt);
    }
}
