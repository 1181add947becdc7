using Tmq.Tests.Fakes;

namespace Tmq.Tests.Dispatch;

/// <summary>
/// The drain's edge paths: its deadline passing while a shutdown keeps gap messages, a handler
/// failing while a revoke drains, and a dead-letter write that the drain's deadline cancels.
/// </summary>
public sealed class DrainEdgeTests
{
    [Fact]
    public async Task Stop_DeadlinePassesWhileAGapMessageIsKept_TheKeptMessageNeverRunsAndNothingIsCommittedPastTheUnfinished()
    {
        // Offset 0 (key a) runs until cancelled; offset 1 (key a) waits behind it; offset 2 (key b)
        // finishes. The shutdown keeps offset 1 (it sits below a finished offset) and waits for it.
        // When ShutdownTimeout passes, the kept message is dropped with the rest: nothing starts
        // after the deadline, and the commit stays at offset 0.
        var time = new TimerAwareTimeProvider();
        var signals = new Signals();
        var handler = new DelegateHandler(async (message, token) =>
        {
            signals.Set(message.ValueAsString());
            if (message.ValueAsString() == "a-slow")
            {
                await Task.Delay(Timeout.Infinite, token);
            }
        });
        var options = new ConsumerOptions { Topic = "orders", Concurrency = 2, ShutdownTimeout = TimeSpan.FromSeconds(5) };
        var consumer = new InMemoryConsumer(handler, options, time, partitions: 1);

        await consumer.PublishToAsync(0, Bytes("a"), Bytes("a-slow"));
        await signals.WaitAsync("a-slow");
        await consumer.PublishToAsync(0, Bytes("a"), Bytes("a-kept"));
        await consumer.PublishToAsync(0, Bytes("b"), Bytes("b1"));
        await Eventually.TrueAsync(() => consumer.HandledCount == 1);

        var timers = time.TimersCreated;
        var stop = consumer.StopAsync();
        await time.WaitForTimersAsync(timers + 1);
        time.Advance(TimeSpan.FromSeconds(5));
        await stop.WaitAsync(TestTimeout.Default);

        Assert.False(signals.IsSet("a-kept"), "a message kept for the drain started after ShutdownTimeout had passed");
        Assert.Equal(["b1"], consumer.Handled.Select(m => m.ValueAsString()));
        Assert.Equal(0, consumer.CommittedOffsets()[0]);
        Assert.Equal(0, consumer.Buffered);
    }

    [Fact]
    public async Task Revoke_HandlerFailsDuringTheDrainWithAttemptsLeft_TheRetryIsLeftToTheNextOwner()
    {
        var time = new TimerAwareTimeProvider();
        var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var signals = new Signals();
        var calls = 0;
        var handler = new DelegateHandler(async (message, _) =>
        {
            if (Interlocked.Increment(ref calls) == 1)
            {
                signals.Set("first call");
                await gate.Task;
                throw new InvalidOperationException("failed while the partition was being revoked");
            }
        });
        var options = new ConsumerOptions
        {
            Topic = "orders",
            RevokeDrainTimeout = TimeSpan.FromSeconds(30),
            Retry = new RetryOptions { MaxAttempts = 3, InitialDelay = TimeSpan.FromSeconds(1), MaxDelay = TimeSpan.FromSeconds(1), Jitter = 0 },
        };
        await using var consumer = new InMemoryConsumer(handler, options, time, partitions: 1);

        await consumer.PublishAsync("a", "order");
        await signals.WaitAsync("first call");
        var revoke = consumer.RevokeAsync(0);
        gate.SetResult();
        await revoke.WaitAsync(TestTimeout.Default);

        // Nothing of the revoked partition stays behind, not even a retry timer: the next owner retries it.
        Assert.Equal(0, consumer.CommittedOffsets()[0]);
        Assert.Equal(0, consumer.Buffered);
        Assert.Empty(consumer.DeadLetters);

        // The retry's time comes and goes; then the partition comes back and the message is fetched again.
        time.Advance(TimeSpan.FromMinutes(1));
        consumer.Assign(0);
        await consumer.PublishToAsync(0, Bytes("a"), Bytes("order"));
        await consumer.WaitForIdleAsync(TestTimeout.Default);

        var handled = Assert.Single(consumer.Handled);
        Assert.Equal(1, handled.Attempt);
        Assert.Equal(2, Volatile.Read(ref calls));
        Assert.Equal(1, consumer.CommittedOffsets()[0]);
    }

    [Fact]
    public async Task Revoke_LastAttemptFailsDuringTheDrain_IsDeadLetteredAndCommittedBeforeTheRevokeEnds()
    {
        var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var signals = new Signals();
        var handler = new DelegateHandler(async (message, _) =>
        {
            signals.Set("started");
            await gate.Task;
            throw new PermanentFailureException("cannot be handled");
        });
        await using var consumer = new InMemoryConsumer(handler, new ConsumerOptions { Topic = "orders", RevokeDrainTimeout = TimeSpan.FromSeconds(30) }, partitions: 1);

        await consumer.PublishAsync("a", "poison");
        await signals.WaitAsync("started");
        var revoke = consumer.RevokeAsync(0);
        gate.SetResult();
        await revoke.WaitAsync(TestTimeout.Default);

        Assert.Equal("poison", System.Text.Encoding.UTF8.GetString(Assert.Single(consumer.DeadLetters).Message.Value.Span));
        Assert.Equal(1, consumer.CommittedOffsets()[0]);
    }

    [Fact]
    public async Task Revoke_DeadLetterWriteOutlivesTheDrainTimeout_IsCancelledAndTheOriginalIsNotCommitted()
    {
        var time = new TimerAwareTimeProvider();
        var sink = new BlockingDeadLetterSink();
        var handler = new DelegateHandler((message, _) =>
            message.ValueAsString() == "poison" ? throw new PermanentFailureException("cannot be handled") : Task.CompletedTask);
        var options = new ConsumerOptions { Topic = "orders", RevokeDrainTimeout = TimeSpan.FromSeconds(5) };
        // Not disposed: its drain would wait on the fake clock for a write that blocks, had the test failed before the revoke.
        var consumer = new InMemoryConsumer(handler, options, time, partitions: 1) { DeadLetterSink = sink };

        await consumer.PublishToAsync(0, Bytes("a"), Bytes("poison"));
        await consumer.PublishToAsync(0, Bytes("b"), Bytes("fine"));
        await sink.Started.Task.WaitAsync(TestTimeout.Default);
        await Eventually.TrueAsync(() => consumer.HandledCount == 1);

        var timers = time.TimersCreated;
        var revoke = consumer.RevokeAsync(0);
        await time.WaitForTimersAsync(timers + 1);
        time.Advance(TimeSpan.FromSeconds(5));
        await sink.Cancelled.Task.WaitAsync(TestTimeout.Default);
        await revoke.WaitAsync(TestTimeout.Default);

        // Offset 1 is handled, but offset 0's dead letter was never written: the position stays at 0.
        Assert.Empty(consumer.DeadLetters);
        Assert.Equal(0, consumer.CommittedOffsets()[0]);
        Assert.Equal(0, consumer.Buffered);
    }

    private static ReadOnlyMemory<byte> Bytes(string s) => System.Text.Encoding.UTF8.GetBytes(s);

    /// <summary>A dead-letter destination that never answers: its write ends only when cancelled.</summary>
    private sealed class BlockingDeadLetterSink : IDeadLetterSink
    {
        public TaskCompletionSource Started { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public TaskCompletionSource Cancelled { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public async Task WriteAsync(DeadLetterRecord record, CancellationToken cancellationToken)
        {
            Started.TrySetResult();
            try
            {
                await Task.Delay(Timeout.Infinite, cancellationToken);
            }
            catch (OperationCanceledException)
            {
                Cancelled.TrySetResult();
                throw;
            }
        }
    }
}
