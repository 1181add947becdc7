using Tmq.Tests.Fakes;

namespace Tmq.Tests.Dispatch;

/// <summary>Idle workers join as ready work needs them: none is left idle while a message waits and a slot is free.</summary>
public sealed class WorkerWakeTests
{
    [Fact]
    public async Task Burst_ManyMessagesReadyAtOnce_RunsConcurrencyHandlersAtOnce()
    {
        // Each message fails once; their retries fall due together when the clock moves, so all
        // of them become ready in one go, from one thread, while every worker is idle. As many
        // messages as workers: each must find one.
        const int concurrency = 64;
        var time = new TimerAwareTimeProvider();
        var held = new HeldHandlers();
        var handler = new DelegateHandler((message, _) => message.Attempt == 1 ? throw new InvalidOperationException("once") : held.HoldAsync());
        var options = new ConsumerOptions
        {
            Topic = "t",
            Concurrency = concurrency,
            MaxBufferedMessages = 1000,
            Retry = { InitialDelay = TimeSpan.FromSeconds(1), Jitter = 0 },
        };
        await using var consumer = new InMemoryConsumer(handler, options, time, partitions: 4);
        for (var i = 0; i < concurrency; i++)
        {
            await consumer.PublishAsync($"k{i}", "v");
        }

        try
        {
            await time.WaitForTimersAsync(concurrency);
            await Eventually.TrueAsync(() => consumer.Engine!.RetryWaiting == concurrency && consumer.InFlight == 0);
            time.Advance(TimeSpan.FromSeconds(1));

            // Many more workers than the thread pool has threads: they must still all join.
            await Eventually.TrueAsync(() => held.Running == concurrency);
            Assert.Equal(concurrency, consumer.InFlight);
        }
        finally
        {
            held.Release();
        }

        await consumer.WaitForIdleAsync(TestTimeout.Default);
        Assert.Equal(concurrency, consumer.HandledCount);
    }

    [Fact]
    public async Task MessagesArrivingOneByOne_WhileOthersRun_EachStartsAtOnce()
    {
        const int concurrency = 16;
        var held = new HeldHandlers();
        var handler = new DelegateHandler((_, _) => held.HoldAsync());
        await using var consumer = new InMemoryConsumer(handler, new ConsumerOptions { Topic = "t", Concurrency = concurrency, MaxBufferedMessages = 100 }, partitions: 2);
        try
        {
            for (var i = 1; i <= concurrency; i++)
            {
                await consumer.PublishAsync($"k{i}", "v");
                var expected = i;
                await Eventually.TrueAsync(() => held.Running == expected);
            }
        }
        finally
        {
            held.Release();
        }

        await consumer.WaitForIdleAsync(TestTimeout.Default);
        Assert.Equal(concurrency, consumer.HandledCount);
    }

    [Fact]
    public async Task FastHandler_ManyMessages_AllHandled_AndTheEngineGoesIdle()
    {
        var handler = DelegateHandler.Succeed();
        await using var consumer = new InMemoryConsumer(handler, new ConsumerOptions { Topic = "t", Concurrency = 256, MaxBufferedMessages = 512 }, partitions: 8);
        var publishers = Enumerable.Range(0, 4).Select(p => Task.Run(async () =>
        {
            for (var i = 0; i < 5000; i++)
            {
                await consumer.PublishAsync($"k{p}-{i % 50}", "v");
            }
        }));
        await Task.WhenAll(publishers);

        await consumer.WaitForIdleAsync(TestTimeout.Default);
        Assert.Equal(20_000, consumer.HandledCount);
        Assert.Equal(0, consumer.InFlight);
    }

    /// <summary>Handler calls that hold until released, counted while they run.</summary>
    private sealed class HeldHandlers
    {
        private readonly TaskCompletionSource _release = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private int _running;

        public int Running => Volatile.Read(ref _running);

        public async Task HoldAsync()
        {
            Interlocked.Increment(ref _running);
            await _release.Task;
            Interlocked.Decrement(ref _running);
        }

        public void Release() => _release.TrySetResult();
    }
}
