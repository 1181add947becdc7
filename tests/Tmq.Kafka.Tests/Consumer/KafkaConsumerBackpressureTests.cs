using Confluent.Kafka;
using Tmq.Kafka.Tests.Fakes;
using Tmq.Tests.Shared;

namespace Tmq.Kafka.Tests.Consumer;

public sealed class KafkaConsumerBackpressureTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(60);

    [Fact]
    public async Task Loss_WhileAMessageWaitsForBufferRoom_ConsumesAtFullSpeedOnceReassigned()
    {
        const int Messages = 2_000;
        using var broker = EmbeddedKafkaBroker.Start();
        broker.CreateTopic("backlog", 1);
        using (var producer = KafkaTestClients.Producer(broker))
        {
            for (var i = 0; i < Messages; i++)
            {
                producer.Produce("backlog", new Message<byte[]?, byte[]?> { Value = BitConverter.GetBytes(i) });
            }

            Assert.Equal(0, producer.Flush(Timeout));
        }

        // The first message holds the only worker until the partition is lost, so the 20-message
        // buffer fills and the next message fetched waits for room.
        var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var handled = new HashSet<long>();
        var handler = new DelegateHandler(async (message, cancellationToken) =>
        {
            await gate.Task.WaitAsync(cancellationToken);
            lock (handled)
            {
                handled.Add(message.Offset);
            }
        });
        using var counters = new CounterRecorder("backpressure-loss");
        await using var service = await TmqKafkaService.StartAsync(broker, "backlog", "backpressure-loss", handler, new()
        {
            ["Tmq:Consumers:main:Concurrency"] = "1",
            ["Tmq:Consumers:main:MaxBufferedMessages"] = "20",
        });
        await Eventually.TrueAsync(() => counters.Total("messaging.client.consumed.messages") > 20, Timeout, "no message waited for buffer room");

        // The group drops the member; it loses the partition (and the message waiting for room),
        // joins again and is assigned the partition anew.
        broker.PushRequestErrors(KafkaApiKey.Heartbeat, ErrorCode.UnknownMemberId);
        await Eventually.TrueAsync(() => counters.Total("tmq.consumer.rebalances{lost}") > 0, Timeout, "the partition was never lost");
        gate.SetResult();

        // 2,000 messages take a second or two; a consumer still polling as if its buffer were full
        // takes one message per 100 ms, over three minutes.
        int Handled()
        {
            lock (handled)
            {
                return handled.Count;
            }
        }

        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        await Eventually.TrueAsync(() => Handled() == Messages || DateTime.UtcNow > deadline, Timeout, "unreachable: the deadline ends the wait");
        Assert.True(Handled() == Messages, $"{Handled()} of {Messages} messages handled within 30 s of the partition's loss");
    }
}
