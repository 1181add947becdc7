using System.Collections.Concurrent;
using System.Globalization;
using System.Text;
using Tmq.Dispatch;
using Tmq.Tests.Fakes;

namespace Tmq.Tests.Dispatch;

public sealed class BackpressureTests
{
    [Fact]
    public async Task Publish_BufferFull_WaitsForRoom()
    {
        var gates = Enumerable.Range(0, 5).Select(_ => new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously)).ToArray();
        var handler = new DelegateHandler((message, _) => gates[int.Parse(message.ValueAsString(), CultureInfo.InvariantCulture)].Task);
        var options = new ConsumerOptions { Topic = "orders", Concurrency = 4, MaxBufferedMessages = 4 };
        await using var consumer = new InMemoryConsumer(handler, options, partitions: 1);

        for (var i = 0; i < 4; i++)
        {
            await consumer.PublishAsync($"k{i}", i.ToString(CultureInfo.InvariantCulture));
        }

        // A publish with room returns synchronously, so this is not a race.
        var fifth = consumer.PublishAsync("k4", "4").AsTask();
        Assert.False(fifth.IsCompleted, "the fifth publish did not wait for room in a full buffer");
        Assert.Equal(4, consumer.Buffered);

        foreach (var gate in gates)
        {
            gate.TrySetResult();
        }

        await fifth.WaitAsync(TestTimeout.Default);
        await consumer.WaitForIdleAsync(TestTimeout.Default);
        Assert.Equal(5, consumer.Handled.Count);
    }

    [Fact]
    public async Task Engine_BufferFull_TellsTheTransportOnlyAtTheLowWaterMark()
    {
        // The engine reports capacity from the settle that frees it, before it reports that settle:
        // once the transport has heard of a settle, it has heard of any capacity it freed. So each
        // check below follows a settle the test waited for, and a wrong mark fails it at once.
        var gates = Enumerable.Range(0, 4).Select(_ => new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously)).ToArray();
        var handler = new DelegateHandler((message, _) => gates[(int)message.Offset].Task);
        var transport = new RecordingTransport();
        var options = new ConsumerOptions { Topic = "orders", Concurrency = 4, MaxBufferedMessages = 4 };
        using var engine = new DispatchEngine(new EngineSettings
        {
            Name = "backpressure",
            Handler = handler,
            DeadLetters = new FailingDeadLetterSink(0),
            Transport = transport,
            Options = () => options,
        });
        transport.Engine = engine;
        var partition = engine.AddPartition("orders", 0);
        engine.Start();
        for (var offset = 0; offset < 4; offset++)
        {
            engine.Enqueue(partition, new TmqMessage("orders", Encoding.UTF8.GetBytes($"k{offset}"), Encoding.UTF8.GetBytes($"v{offset}")) { Partition = 0, Offset = offset });
        }

        Assert.False(engine.HasCapacity);

        // 3 of 4 buffered: above the low-water mark (half of MaxBufferedMessages), still full as far as fetching goes.
        gates[0].SetResult();
        await transport.SettledAsync(0);
        Assert.Empty(transport.CapacityAt);

        // 2 of 4: at the mark, fetching may resume; told once.
        gates[1].SetResult();
        await transport.SettledAsync(1);
        Assert.Equal([2], transport.CapacityAt);

        gates[2].SetResult();
        gates[3].SetResult();
        await transport.SettledAsync(3);
        Assert.Equal([2], transport.CapacityAt);
        await engine.StopAsync(TestTimeout.Default);
    }

    /// <summary>Records what the engine says: buffered counts at each capacity signal, and settles by offset.</summary>
    private sealed class RecordingTransport : IDispatchTransport
    {
        private readonly ConcurrentDictionary<long, TaskCompletionSource> _settled = new();
        private readonly ConcurrentQueue<int> _capacityAt = new();

        public DispatchEngine? Engine { get; set; }

        public IReadOnlyCollection<int> CapacityAt => [.. _capacityAt];

        public void OnCapacityAvailable() => _capacityAt.Enqueue(Engine!.Buffered);

        public void OnSettled(PartitionState partition, TmqMessage message, MessageOutcome outcome, TimeSpan requeueDelay) =>
            Settle(message.Offset).TrySetResult();

        public void OnPartitionStopped(PartitionState partition)
        {
        }

        public Task SettledAsync(long offset) => Settle(offset).Task.WaitAsync(TestTimeout.Default);

        private TaskCompletionSource Settle(long offset) =>
            _settled.GetOrAdd(offset, static _ => new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously));
    }
}
