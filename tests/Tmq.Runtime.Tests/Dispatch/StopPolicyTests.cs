using System.Collections.Concurrent;
using Tmq.Tests.Fakes;

namespace Tmq.Tests.Dispatch;

public sealed class StopPolicyTests
{
    [Fact]
    public async Task Stop_ExhaustedMessage_HaltsItsPartitionAndCommitsNothingPastIt()
    {
        var handled = new ConcurrentQueue<string>();
        var handler = new DelegateHandler((message, _) =>
        {
            if (message.ValueAsString() == "poison")
            {
                throw new InvalidOperationException("cannot process");
            }

            handled.Enqueue(message.ValueAsString());
            return Task.CompletedTask;
        });
        var options = new ConsumerOptions
        {
            Topic = "ledger",
            Retry = { MaxAttempts = 2, InitialDelay = TimeSpan.Zero, MaxDelay = TimeSpan.Zero, OnExhausted = ExhaustedPolicy.Stop },
        };
        await using var consumer = new InMemoryConsumer(handler, options, partitions: 2);

        await consumer.PublishToAsync(0, Bytes("a"), Bytes("poison"));
        await consumer.WaitForIdleAsync(TestTimeout.Default);
        await consumer.PublishToAsync(0, Bytes("b"), Bytes("after-1"));
        await consumer.PublishToAsync(0, Bytes("c"), Bytes("after-2"));
        await consumer.PublishToAsync(1, Bytes("d"), Bytes("other-partition"));
        await consumer.WaitForIdleAsync(TestTimeout.Default);

        Assert.True(consumer.HasStoppedPartitions);
        Assert.Equal(["other-partition"], handled);
        Assert.Empty(consumer.DeadLetters);
        var committed = consumer.CommittedOffsets();
        Assert.Equal(0, committed[0]);
        Assert.Equal(1, committed[1]);
    }

    [Fact]
    public async Task Stop_PermanentFailure_StopsInsteadOfDeadLettering()
    {
        var handler = new DelegateHandler((_, _) => throw new PermanentFailureException("bad payload"));
        var options = new ConsumerOptions { Topic = "ledger", Retry = { OnExhausted = ExhaustedPolicy.Stop } };
        await using var consumer = new InMemoryConsumer(handler, options, partitions: 1);

        await consumer.PublishAsync("k", "v");
        await consumer.WaitForIdleAsync(TestTimeout.Default);

        Assert.True(consumer.HasStoppedPartitions);
        Assert.Empty(consumer.DeadLetters);
    }

    private static ReadOnlyMemory<byte> Bytes(string s) => System.Text.Encoding.UTF8.GetBytes(s);
}
