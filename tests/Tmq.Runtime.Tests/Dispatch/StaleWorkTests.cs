using Tmq.Tests.Fakes;

namespace Tmq.Tests.Dispatch;

/// <summary>
/// Handlers that outlive their partition: a revoke's drain timed out and cancelled them, but they
/// ignore the cancellation (or fail because of it) and end later. Their partition's assignment is
/// over; whatever they do must change nothing that counts for it or for the next assignment.
/// </summary>
public sealed class StaleWorkTests
{
    private static readonly TimeSpan DrainTimeout = TimeSpan.FromSeconds(5);

    [Fact]
    public async Task Revoke_HandlerIgnoresCancellationAndFinishesLate_CommitsNothingForTheRevokedPartition()
    {
        var time = new TimerAwareTimeProvider();
        var stale = new StaleHandler();
        await using var consumer = new InMemoryConsumer(stale, new ConsumerOptions { Topic = "orders", Concurrency = 2, RevokeDrainTimeout = DrainTimeout }, time, partitions: 1);

        try
        {
            await consumer.PublishToAsync(0, Bytes("a"), Bytes("stale"));
            await consumer.PublishToAsync(0, Bytes("b"), Bytes("fast"));
            await stale.Started.Task.WaitAsync(TestTimeout.Default);
            await Eventually.TrueAsync(() => consumer.HandledCount >= 1);
            await RevokeGivingUpOnTheStaleHandlerAsync(consumer, time);
            Assert.Equal(0, consumer.CommittedOffsets()[0]);

            // The handler returns after the revoke: offset 0 is done as far as it knows, but the
            // partition is no longer this consumer's, so no position of it is reported again.
            stale.Release.SetResult();
            await Eventually.TrueAsync(() => consumer.HandledCount >= 2);

            Assert.Equal(0, consumer.CommittedOffsets()[0]);
            Assert.Equal(0, consumer.Buffered);
        }
        finally
        {
            // The consumer's disposal drains on the fake clock: nothing may be left blocked then.
            stale.Release.TrySetResult();
        }
    }

    [Fact]
    public async Task Revoke_PartitionComesBackWhileItsStaleHandlerRuns_TheRedeliveryWaitsForItAndTheNewPositionPassesOnlyTheRedelivery()
    {
        var time = new TimerAwareTimeProvider();
        var stale = new StaleHandler();
        await using var consumer = new InMemoryConsumer(stale, new ConsumerOptions { Topic = "orders", Concurrency = 2, RevokeDrainTimeout = DrainTimeout }, time, partitions: 1);

        try
        {
            await consumer.PublishToAsync(0, Bytes("a"), Bytes("stale"));
            await stale.Started.Task.WaitAsync(TestTimeout.Default);
            await RevokeGivingUpOnTheStaleHandlerAsync(consumer, time);

            // The partition comes back to this consumer; it reads again from the committed offset 0.
            consumer.Assign(0);
            await consumer.PublishToAsync(0, Bytes("a"), Bytes("stale"));
            await consumer.PublishToAsync(0, Bytes("b"), Bytes("fast"));

            // The one free worker takes work in order: had the redelivery not waited for its key
            // (still held by the stale call), it would have run before "fast".
            await Eventually.TrueAsync(() => consumer.HandledCount >= 1);
            Assert.Equal(["fast#1"], stale.Calls);
            Assert.Equal(0, consumer.CommittedOffsets()[0]);

            stale.Release.SetResult();
            await consumer.WaitForIdleAsync(TestTimeout.Default);

            Assert.Equal(["fast#1", "stale#1", "stale#2"], stale.Calls);
            Assert.Equal(2, consumer.CommittedOffsets()[0]);
        }
        finally
        {
            stale.Release.TrySetResult();
        }
    }

    [Fact]
    public async Task Revoke_UnderStopPolicyTheLastAttemptFailsAfterTheDrainCancelledIt_HaltsNothingAndTheNextAssignmentHandlesIt()
    {
        // A handler that turns cancellation into its own error (say, a client closed under it) on
        // its last attempt. Its partition is gone: the Stop policy has nothing to halt, and the
        // message is left for the partition's next owner, here this consumer again.
        var time = new TimerAwareTimeProvider();
        var started = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var calls = 0;
        var handler = new DelegateHandler(async (message, token) =>
        {
            if (Interlocked.Increment(ref calls) == 1)
            {
                started.SetResult();
                try
                {
                    await Task.Delay(Timeout.Infinite, token);
                }
                catch (OperationCanceledException)
                {
                    throw new InvalidOperationException("the connection was closed");
                }
            }
        });
        var options = new ConsumerOptions
        {
            Topic = "orders",
            RevokeDrainTimeout = DrainTimeout,
            Retry = new RetryOptions { MaxAttempts = 1, OnExhausted = ExhaustedPolicy.Stop },
        };
        await using var consumer = new InMemoryConsumer(handler, options, time, partitions: 1);

        await consumer.PublishAsync("a", "order");
        await started.Task.WaitAsync(TestTimeout.Default);
        var timers = time.TimersCreated;
        var revoke = consumer.RevokeAsync(0);
        await time.WaitForTimersAsync(timers + 1);
        time.Advance(DrainTimeout);
        await revoke.WaitAsync(TestTimeout.Default);

        Assert.False(consumer.HasStoppedPartitions, "a partition this consumer no longer holds was halted");
        Assert.Equal(0, consumer.CommittedOffsets()[0]);

        consumer.Assign(0);
        await consumer.PublishAsync("a", "order");
        await consumer.WaitForIdleAsync(TestTimeout.Default);

        Assert.Single(consumer.Handled);
        Assert.False(consumer.HasStoppedPartitions);
        Assert.Equal(1, consumer.CommittedOffsets()[0]);
    }

    [Fact]
    public async Task Revoke_UnderStopPolicyTheLastAttemptFailsDuringTheDrain_HaltsNothingAndLeavesTheMessageUncommitted()
    {
        var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var started = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var handler = new DelegateHandler(async (_, _) =>
        {
            started.TrySetResult();
            await gate.Task;
            throw new InvalidOperationException("poison");
        });
        var options = new ConsumerOptions
        {
            Topic = "orders",
            RevokeDrainTimeout = TimeSpan.FromSeconds(30),
            Retry = new RetryOptions { MaxAttempts = 1, OnExhausted = ExhaustedPolicy.Stop },
        };
        await using var consumer = new InMemoryConsumer(handler, options, partitions: 1);

        await consumer.PublishAsync("a", "poison");
        await started.Task.WaitAsync(TestTimeout.Default);
        var revoke = consumer.RevokeAsync(0);
        gate.SetResult();
        await revoke.WaitAsync(TestTimeout.Default);

        // The next owner meets the message and applies the policy itself; this consumer is not halted.
        Assert.False(consumer.HasStoppedPartitions);
        Assert.Equal(0, consumer.CommittedOffsets()[0]);
        Assert.Empty(consumer.DeadLetters);
    }

    /// <summary>Revokes partition 0 and lets the drain time out and give up on the handler that ignores its cancellation.</summary>
    private static async Task RevokeGivingUpOnTheStaleHandlerAsync(InMemoryConsumer consumer, TimerAwareTimeProvider time)
    {
        var timers = time.TimersCreated;
        var revoke = consumer.RevokeAsync(0);
        await time.WaitForTimersAsync(timers + 1);
        time.Advance(DrainTimeout);
        await time.WaitForTimersAsync(timers + 2);
        time.Advance(TimeSpan.FromMinutes(1));
        await revoke.WaitAsync(TestTimeout.Default);
    }

    private static ReadOnlyMemory<byte> Bytes(string s) => System.Text.Encoding.UTF8.GetBytes(s);

    /// <summary>The first "stale" call ignores its cancellation and waits for <see cref="Release"/>; every other call returns at once.</summary>
    private sealed class StaleHandler : IMessageHandler
    {
        private readonly Lock _gate = new();
        private readonly List<string> _calls = [];
        private readonly Dictionary<string, int> _counts = [];

        public TaskCompletionSource Started { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public TaskCompletionSource Release { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        /// <summary>Each call as value#n (the n-th call for that value), in the order the calls ended.</summary>
        public IReadOnlyList<string> Calls
        {
            get
            {
                lock (_gate)
                {
                    return [.. _calls];
                }
            }
        }

        public async Task HandleAsync(TmqMessage message, CancellationToken cancellationToken)
        {
            var value = message.ValueAsString();
            int n;
            lock (_gate)
            {
                n = _counts[value] = _counts.GetValueOrDefault(value) + 1;
            }

            if (value == "stale" && n == 1)
            {
                Started.SetResult();
                await Release.Task;
            }

            lock (_gate)
            {
                _calls.Add($"{value}#{n}");
            }
        }
    }
}
