using Tmq.Tests.Fakes;

namespace Tmq.Tests.Dispatch;

public sealed class DrainTests
{
    [Fact]
    public async Task Revoke_HandlerOutlivesDrainTimeout_IsCancelledAndNotCommitted()
    {
        var time = new TimerAwareTimeProvider();
        var signals = new Signals();
        var handler = new DelegateHandler(async (message, token) =>
        {
            if (message.ValueAsString() == "slow")
            {
                signals.Set("slow started");
                try
                {
                    await Task.Delay(Timeout.Infinite, token);
                }
                catch (OperationCanceledException)
                {
                    signals.Set("slow cancelled");
                    throw;
                }
            }
        });
        var options = new ConsumerOptions { Topic = "orders", RevokeDrainTimeout = TimeSpan.FromSeconds(5) };
        await using var consumer = new InMemoryConsumer(handler, options, time, partitions: 1);

        await consumer.PublishToAsync(0, Bytes("a"), Bytes("slow"));
        await consumer.PublishToAsync(0, Bytes("b"), Bytes("fast"));
        await signals.WaitAsync("slow started");
        await Eventually.TrueAsync(() => consumer.Handled.Count == 1);

        var timersBefore = time.TimersCreated;
        var revoke = consumer.RevokeAsync(0);
        await time.WaitForTimersAsync(timersBefore + 1);
        time.Advance(TimeSpan.FromSeconds(5) - TimeSpan.FromTicks(1));
        Assert.False(signals.IsSet("slow cancelled"));
        time.Advance(TimeSpan.FromTicks(1));
        await signals.WaitAsync("slow cancelled");
        await revoke.WaitAsync(TestTimeout.Default);

        // Offset 1 finished, but offset 0 was cancelled: the position must not pass it.
        Assert.Equal(0, consumer.CommittedOffsets()[0]);
        Assert.Equal(["fast"], consumer.Handled.Select(m => m.ValueAsString()));
        Assert.Empty(consumer.DeadLetters);
    }

    [Fact]
    public async Task Revoke_HandlerFinishesWithinTimeout_CommitsPastIt()
    {
        var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var signals = new Signals();
        var handler = new DelegateHandler(async (message, _) =>
        {
            signals.Set("started");
            await gate.Task;
        });
        await using var consumer = new InMemoryConsumer(handler, new ConsumerOptions { Topic = "orders" }, partitions: 1);

        await consumer.PublishAsync("a", "one");
        await signals.WaitAsync("started");
        var revoke = consumer.RevokeAsync(0);
        Assert.False(revoke.IsCompleted);
        gate.SetResult();
        await revoke.WaitAsync(TestTimeout.Default);

        Assert.Equal(1, consumer.CommittedOffsets()[0]);
    }

    [Fact]
    public async Task Revoke_QueuedMessages_AreDroppedAndRedeliveredAfterReassign()
    {
        var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var signals = new Signals();
        var handler = new DelegateHandler(async (message, _) =>
        {
            signals.Set(message.ValueAsString());
            if (message.ValueAsString() == "first")
            {
                await gate.Task;
            }
        });
        await using var consumer = new InMemoryConsumer(handler, new ConsumerOptions { Topic = "orders", Concurrency = 1 }, partitions: 1);

        await consumer.PublishAsync("a", "first");
        await signals.WaitAsync("first");
        await consumer.PublishAsync("a", "second");
        await consumer.PublishAsync("b", "third");
        var revoke = consumer.RevokeAsync(0);
        gate.SetResult();
        await revoke.WaitAsync(TestTimeout.Default);

        Assert.Equal(["first"], consumer.Handled.Select(m => m.ValueAsString()));
        Assert.Equal(1, consumer.CommittedOffsets()[0]);
        Assert.Equal(0, consumer.Buffered);

        // The new owner (here: us again) reads from the committed offset.
        consumer.Assign(0);
        await consumer.PublishAsync("a", "second");
        await consumer.WaitForIdleAsync(TestTimeout.Default);
        Assert.Equal(2, consumer.CommittedOffsets()[0]);
    }

    [Fact]
    public async Task Stop_RunningHandler_FinishesAndIsCommitted_QueuedWorkIsNot()
    {
        var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var signals = new Signals();
        var handler = new DelegateHandler(async (message, _) =>
        {
            signals.Set(message.ValueAsString());
            await gate.Task;
        });
        var consumer = new InMemoryConsumer(handler, new ConsumerOptions { Topic = "orders", Concurrency = 1 }, partitions: 1);

        await consumer.PublishAsync("a", "running");
        await signals.WaitAsync("running");
        await consumer.PublishAsync("b", "queued");
        var stop = consumer.StopAsync();
        gate.SetResult();
        await stop.WaitAsync(TestTimeout.Default);

        Assert.Equal(["running"], consumer.Handled.Select(m => m.ValueAsString()));
        Assert.Equal(1, consumer.CommittedOffsets()[0]);
        Assert.False(signals.IsSet("queued"));
    }

    [Theory]
    [InlineData("stop")]
    [InlineData("revoke")]
    public async Task QueuedMessageBelowAFinishedOffset_RunsSoTheCommitCoversEverythingHandled(string drain)
    {
        // Key a's first message is slow; its second waits behind it while key b's messages, later
        // in the partition, finish. Stopping or revoking then must not leave a's second message as
        // a gap that pins the position below b's finished work: the restarted service or the
        // partition's next owner would handle b1-b5 again.
        var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var signals = new Signals();
        var handler = new DelegateHandler(async (message, _) =>
        {
            signals.Set(message.ValueAsString());
            if (message.ValueAsString() == "a-slow")
            {
                await gate.Task;
            }
        });
        await using var consumer = new InMemoryConsumer(handler, new ConsumerOptions { Topic = "orders", Concurrency = 2 }, partitions: 1);

        await consumer.PublishToAsync(0, Bytes("a"), Bytes("a-slow"));
        await signals.WaitAsync("a-slow");
        await consumer.PublishToAsync(0, Bytes("a"), Bytes("a-next"));
        for (var i = 1; i <= 5; i++)
        {
            await consumer.PublishToAsync(0, Bytes("b"), Bytes($"b{i}"));
        }

        await Eventually.TrueAsync(() => consumer.Handled.Count == 5);
        var draining = drain == "stop" ? consumer.StopAsync() : consumer.RevokeAsync(0);
        gate.SetResult();
        await draining.WaitAsync(TestTimeout.Default);

        Assert.Equal(["a-next", "a-slow", "b1", "b2", "b3", "b4", "b5"], consumer.Handled.Select(m => m.ValueAsString()).Order());
        Assert.Equal(7, consumer.CommittedOffsets()[0]);
    }

    [Theory]
    [InlineData("stop")]
    [InlineData("revoke")]
    public async Task GapBehindAMessageWaitingForRetry_IsNotWaitedFor(string drain)
    {
        // Offset 0 waits a minute for its retry; offset 1 (same key) waits behind it; offset 2 (other
        // key) finished. A shutdown does not wait for a retry due after its timeout, and a revoke
        // does not hold the rebalance for a retry at all (its timeout here is longer than the
        // backoff): nothing is committed past 0, and the next owner handles offsets 0-2.
        var time = new TimerAwareTimeProvider();
        var signals = new Signals();
        var handler = new DelegateHandler((message, _) =>
        {
            signals.Set(message.ValueAsString());
            return message.ValueAsString() == "a-failing" ? throw new InvalidOperationException("boom") : Task.CompletedTask;
        });
        var options = new ConsumerOptions
        {
            Topic = "orders",
            ShutdownTimeout = TimeSpan.FromSeconds(5),
            RevokeDrainTimeout = TimeSpan.FromMinutes(5),
            Retry = new RetryOptions { InitialDelay = TimeSpan.FromMinutes(1), MaxDelay = TimeSpan.FromMinutes(1), Jitter = 0 },
        };
        await using var consumer = new InMemoryConsumer(handler, options, time, partitions: 1);

        var timersBefore = time.TimersCreated;
        await consumer.PublishToAsync(0, Bytes("a"), Bytes("a-failing"));
        await consumer.PublishToAsync(0, Bytes("a"), Bytes("a-next"));
        await consumer.PublishToAsync(0, Bytes("b"), Bytes("b1"));
        await time.WaitForTimersAsync(timersBefore + 1);
        await Eventually.TrueAsync(() => consumer.Handled.Count == 1);

        await (drain == "stop" ? consumer.StopAsync() : consumer.RevokeAsync(0)).WaitAsync(TestTimeout.Default);

        Assert.Equal(["b1"], consumer.Handled.Select(m => m.ValueAsString()));
        Assert.False(signals.IsSet("a-next"));
        Assert.Equal(0, consumer.CommittedOffsets()[0]);
    }

    private static ReadOnlyMemory<byte> Bytes(string s) => System.Text.Encoding.UTF8.GetBytes(s);

    [Fact]
    public async Task Stop_RetryDueWithinTheDrain_Runs_AndTheCommitCoversTheMessagesHandledAfterIt()
    {
        var time = new TimerAwareTimeProvider();
        var handler = new DelegateHandler((message, _) =>
            message.ValueAsString() == "a1" && message.Attempt == 1 ? throw new InvalidOperationException("once") : Task.CompletedTask);
        var options = new ConsumerOptions { Topic = "orders", Retry = { InitialDelay = TimeSpan.FromSeconds(1), Jitter = 0 }, ShutdownTimeout = TimeSpan.FromSeconds(20) };
        await using var consumer = new InMemoryConsumer(handler, options, time, partitions: 1);
        await consumer.PublishAsync("a", "a1");
        await consumer.PublishAsync("b", "b1");
        await consumer.PublishAsync("c", "c1");
        await time.WaitForTimersAsync(1);
        await Eventually.TrueAsync(() => consumer.HandledCount == 2 && consumer.Engine!.RetryWaiting == 1);

        // The drain keeps the retry (it falls due in 1 s, within the 20 s ShutdownTimeout) and waits for it.
        var stop = consumer.StopAsync();
        await time.WaitForTimersAsync(2);
        time.Advance(TimeSpan.FromSeconds(1));
        await stop.WaitAsync(TestTimeout.Default);

        // b1 and c1 (other keys) run concurrently, in either order; a1 runs last, at its retry during the drain.
        Assert.Equal(["a1", "b1", "c1"], consumer.Handled.Select(m => m.ValueAsString()).Order());
        Assert.Equal("a1", consumer.Handled[^1].ValueAsString());
        Assert.Equal(3, consumer.CommittedOffsets()[0]);
    }
}
