using Tmq.Tests.Fakes;

namespace Tmq.Tests.Dispatch;

/// <summary>Runs its tests alone: they measure the whole process's heap, which other tests would change meanwhile.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class HeapMeasurement
{
    public const string Name = "heap measurement";
}

[Collection(HeapMeasurement.Name)]
public sealed class RetentionTests
{
    [Fact]
    public async Task BurstsOnManyPartitions_OnceHandled_LeaveNoBurstSizedBookkeepingBehind()
    {
        // Each partition in turn holds a burst of 4,000 uncommittable messages (the first one blocks
        // the commit position while the rest finish). Once all are handled, the consumer must not keep
        // a burst's worth of bookkeeping per partition: 200 partitions x 4,000 slots would be 6.4 MB.
        const int partitions = 200;
        const int burst = 4_000;
        var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var handler = new DelegateHandler((message, _) => message.ValueAsString() == "head" ? Volatile.Read(ref gate).Task : Task.CompletedTask);
        var options = new ConsumerOptions { Topic = "orders", Concurrency = 4, MaxBufferedMessages = burst };
        await using var consumer = new InMemoryConsumer(handler, options, partitions: partitions) { KeepHandled = false };
        var keys = Enumerable.Range(0, burst).Select(i => (ReadOnlyMemory<byte>)System.Text.Encoding.UTF8.GetBytes($"k{i}")).ToArray();
        var head = "head"u8.ToArray();
        var body = "body"u8.ToArray();

        await RunBurstAsync(0);
        var before = GC.GetTotalMemory(forceFullCollection: true);
        for (var p = 1; p < partitions; p++)
        {
            await RunBurstAsync(p);
        }

        var retained = GC.GetTotalMemory(forceFullCollection: true) - before;
        Assert.Equal((long)partitions * burst, consumer.HandledCount);
        // The whole process's heap: thread-pool threads and their caches come and go with the run
        // (0.04 to 1.6 MB measured here), so the bound sits between that and the 6.4 MB it guards against.
        Assert.True(retained < 3_000_000, $"{retained:N0} bytes stayed allocated after {partitions - 1} partitions' bursts were handled.");

        async Task RunBurstAsync(int partition)
        {
            Volatile.Write(ref gate, new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously));
            await consumer.PublishToAsync(partition, keys[0], head);
            for (var i = 1; i < burst; i++)
            {
                await consumer.PublishToAsync(partition, keys[i], body);
            }

            gate.SetResult();
            await consumer.WaitForIdleAsync(TestTimeout.Default);
        }
    }
}
