using System.ComponentModel.DataAnnotations;
using System.Net;
using System.Net.Sockets;
using System.Runtime.CompilerServices;
using System.Text;
using Confluent.Kafka;
using Tmq.Kafka.Tests.Fakes;

namespace Tmq.Kafka.Tests.Embedded;

public sealed class EmbeddedKafkaBrokerTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(10);

    [Fact]
    public async Task Start_ConfluentProducerAndGroupConsumer_RoundTripMessages()
    {
        using var broker = EmbeddedKafkaBroker.Start();
        broker.CreateTopic("orders", partitions: 1);
        Assert.Matches(@"^127\.0\.0\.1:\d+$", broker.BootstrapServers);

        using (var producer = KafkaTestClients.Producer(broker))
        {
            for (var i = 0; i < 5; i++)
            {
                var result = await producer.ProduceAsync("orders", new Message<byte[]?, byte[]?> { Key = [(byte)i], Value = Encoding.UTF8.GetBytes($"m{i}") })
                    .Within(Timeout);
                Assert.Equal(i, result.Offset.Value);
            }
        }

        using var consumer = KafkaTestClients.GroupConsumer(broker, "orders-group");
        consumer.Subscribe("orders");
        var received = KafkaTestClients.ConsumeExactly(consumer, 5);
        Assert.Equal(["m0", "m1", "m2", "m3", "m4"], received.Select(r => Encoding.UTF8.GetString(r.Message.Value!)));

        consumer.Commit(received[^1]);
        var committed = consumer.Committed(TimeSpan.FromSeconds(5));
        Assert.Equal(5, Assert.Single(committed).Offset.Value);
        consumer.Close();
    }

    [Fact]
    public void CreateTopic_WithPartitions_IsVisibleInMetadata()
    {
        using var broker = EmbeddedKafkaBroker.Start(brokers: 3);
        broker.CreateTopic("payments", partitions: 6, replicationFactor: 3);

        using var admin = new AdminClientBuilder(new AdminClientConfig { BootstrapServers = broker.BootstrapServers })
            .SetLogHandler(static (_, _) => { }).Build();
        var metadata = admin.GetMetadata("payments", TimeSpan.FromSeconds(5));

        Assert.Equal(3, metadata.Brokers.Count);
        var topic = Assert.Single(metadata.Topics);
        Assert.Equal(ErrorCode.NoError, topic.Error.Code);
        Assert.Equal(6, topic.Partitions.Count);
        Assert.All(topic.Partitions, p => Assert.Equal(3, p.Replicas.Length));
    }

    [Fact]
    public void CreateTopic_Twice_ThrowsWithTheReason()
    {
        using var broker = EmbeddedKafkaBroker.Start();
        broker.CreateTopic("dup", 1);

        var ex = Assert.Throws<InvalidOperationException>(() => broker.CreateTopic("dup", 1));
        Assert.Contains("TopicAlreadyExists", ex.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("", 1, 1)]
    [InlineData("bad topic", 1, 1)]
    [InlineData("ok", 0, 1)]
    [InlineData("ok", 1, 2)]
    public void CreateTopic_InvalidArguments_Throws(string topic, int partitions, int replicationFactor)
    {
        using var broker = EmbeddedKafkaBroker.Start();
        Assert.ThrowsAny<ArgumentException>(() => broker.CreateTopic(topic, partitions, replicationFactor));
    }

    [Fact]
    public void Start_InvalidOptions_ThrowsValidationException()
    {
        Assert.Throws<ValidationException>(() => EmbeddedKafkaBroker.Start(0));
        Assert.Throws<ValidationException>(() => EmbeddedKafkaBroker.Start(
            new EmbeddedKafkaBrokerOptions { GroupInitialRebalanceDelay = TimeSpan.FromSeconds(-1) }));
    }

    [Fact]
    public async Task SetBrokerDown_ProduceFailsUntilBrokerUp()
    {
        using var broker = EmbeddedKafkaBroker.Start();
        broker.CreateTopic("down", 1);
        using var producer = KafkaTestClients.Producer(broker, messageTimeoutMs: 1_000);
        await Eventually.DeliveredAsync(
            () => producer.ProduceAsync("down", new Message<byte[]?, byte[]?> { Value = [1] }), "the first send should connect");

        broker.SetBrokerDown(1);
        var failure = await Assert.ThrowsAsync<ProduceException<byte[]?, byte[]?>>(
            () => producer.ProduceAsync("down", new Message<byte[]?, byte[]?> { Value = [2] }).Within(Timeout));
        Assert.Equal(ErrorCode.Local_MsgTimedOut, failure.Error.Code);

        // The client reconnects with backoff and an idempotent producer first re-syncs its
        // sequence numbers, so a 1 s send may still time out right after the broker is back.
        broker.SetBrokerUp(1);
        await Eventually.DeliveredAsync(
            () => producer.ProduceAsync("down", new Message<byte[]?, byte[]?> { Value = [3] }), "a send should succeed once the broker is up again");
    }

    [Fact]
    public async Task SetBrokerDown_PendingProduceCompletesAfterBrokerUp()
    {
        using var broker = EmbeddedKafkaBroker.Start();
        broker.CreateTopic("stall", 1);
        using var producer = KafkaTestClients.Producer(broker, messageTimeoutMs: 20_000);
        await producer.ProduceAsync("stall", new Message<byte[]?, byte[]?> { Value = [1] }).Within(Timeout);

        broker.SetBrokerDown(EmbeddedKafkaBroker.AllBrokers);
        var pending = producer.ProduceAsync("stall", new Message<byte[]?, byte[]?> { Value = [2] });

        // Negative check: nothing can acknowledge the message while every broker refuses connections.
        await Task.WhenAny(pending, Task.Delay(300));
        Assert.False(pending.IsCompleted, "A produce completed while the only broker was down.");

        broker.SetBrokerUp(EmbeddedKafkaBroker.AllBrokers);
        var result = await pending.Within(Timeout);
        Assert.Equal(1, result.Offset.Value);
    }

    [Fact]
    public async Task PushRequestErrors_NonRetriable_FailsTheSend()
    {
        using var broker = EmbeddedKafkaBroker.Start();
        broker.CreateTopic("denied", 1);
        using var producer = KafkaTestClients.Producer(broker);
        await producer.ProduceAsync("denied", new Message<byte[]?, byte[]?> { Value = [0] }).Within(Timeout);

        broker.PushRequestErrors(KafkaApiKey.Produce, ErrorCode.TopicAuthorizationFailed);
        var failure = await Assert.ThrowsAsync<ProduceException<byte[]?, byte[]?>>(
            () => producer.ProduceAsync("denied", new Message<byte[]?, byte[]?> { Value = [1] }).Within(Timeout));

        Assert.Equal(ErrorCode.TopicAuthorizationFailed, failure.Error.Code);
    }

    [Fact]
    public async Task PushRequestErrors_Retriable_RetriesAndDeliversOnce()
    {
        using var broker = EmbeddedKafkaBroker.Start();
        broker.CreateTopic("flaky", 1);
        using var producer = KafkaTestClients.Producer(broker);
        await producer.ProduceAsync("flaky", new Message<byte[]?, byte[]?> { Value = [0] }).Within(Timeout);

        broker.PushRequestErrors(KafkaApiKey.Produce, ErrorCode.NotEnoughReplicas, ErrorCode.NotEnoughReplicas);
        var result = await producer.ProduceAsync("flaky", new Message<byte[]?, byte[]?> { Value = [1] }).Within(Timeout);
        Assert.Equal(1, result.Offset.Value);

        using var consumer = KafkaTestClients.ReadFromStart(broker, "flaky", 1);
        var all = KafkaTestClients.ConsumeExactly(consumer, 2);
        Assert.Equal([0, 1], all.Select(r => (int)r.Message.Value![0]));
    }

    [Fact]
    public async Task ClearRequestErrors_DiscardsUnusedErrors()
    {
        using var broker = EmbeddedKafkaBroker.Start();
        broker.CreateTopic("cleared", 1);
        broker.PushRequestErrors(KafkaApiKey.Produce, ErrorCode.TopicAuthorizationFailed);
        broker.ClearRequestErrors(KafkaApiKey.Produce);

        using var producer = KafkaTestClients.Producer(broker);
        var result = await producer.ProduceAsync("cleared", new Message<byte[]?, byte[]?> { Value = [1] }).Within(Timeout);
        Assert.Equal(PersistenceStatus.Persisted, result.Status);
    }

    [Fact]
    public void Dispose_Twice_IsHarmlessAndLaterCallsThrowObjectDisposed()
    {
        var broker = EmbeddedKafkaBroker.Start();
        broker.Dispose();
        broker.Dispose();

        Assert.Throws<ObjectDisposedException>(() => broker.CreateTopic("late", 1));
        Assert.Throws<ObjectDisposedException>(() => broker.SetBrokerDown(1));
    }

    [Fact]
    public void CreateTopic_ManyBackToBackCalls_DoNotStallOnLostWakeups()
    {
        // A lost wake-up shows as one call that takes the mock thread's full 1 s sleep; without the
        // nudge, runs of these 200 calls stalled 10 to 45 times (some runs hardly at all). Counting
        // stalled calls, not the total time, keeps a loaded machine (every call a little slower)
        // apart from the fault (a few calls a whole second slower). One call in a run still takes
        // 0.5-0.7 s now and then with the nudge.
        using var broker = EmbeddedKafkaBroker.Start();
        var stalled = new List<string>();
        for (var i = 0; i < 100; i++)
        {
            Timed($"CreateTopic t{i}", () => broker.CreateTopic($"t{i}", 1));
            Timed($"SetBrokerUp after t{i}", () => broker.SetBrokerUp(1));
        }

        Assert.True(stalled.Count <= 3, $"{stalled.Count} of 200 calls took 250 ms or more: {string.Join(", ", stalled)}.");

        void Timed(string call, Action action)
        {
            var start = System.Diagnostics.Stopwatch.GetTimestamp();
            action();
            var took = System.Diagnostics.Stopwatch.GetElapsedTime(start);
            if (took >= TimeSpan.FromMilliseconds(250))
            {
                stalled.Add($"{call} ({took.TotalMilliseconds:F0} ms)");
            }
        }
    }

    [Fact]
    public void Dispose_ConcurrentWithCalls_NeitherCrashesNorHangs()
    {
        var broker = EmbeddedKafkaBroker.Start();
        using var started = new CountdownEvent(4);

        // Dedicated threads, not the thread pool: the calls block in native code, and a pool
        // that other tests keep busy must not decide whether this test passes.
        var callers = Enumerable.Range(0, 4).Select(i => new Thread(() =>
        {
            started.Signal();
            for (var n = 0; n < 50; n++)
            {
                try
                {
                    broker.CreateTopic($"t{i}-{n}", 1);
                }
                catch (ObjectDisposedException)
                {
                    return;
                }
            }
        })).ToList();
        callers.ForEach(t => t.Start());
        started.Wait(Timeout);

        broker.Dispose();

        Assert.All(callers, t => Assert.True(t.Join(Timeout), "A call made while disposing never returned."));
    }

    [Fact]
    public void Finalizer_ForgottenBroker_StopsListeningWithoutCrashing()
    {
        var forgotten = StartAndForget();
        GC.Collect();
        GC.WaitForPendingFinalizers();
        GC.Collect();

        using (var client = new TcpClient())
        {
            Assert.ThrowsAny<SocketException>(() => client.Connect(IPEndPoint.Parse(forgotten)));
        }

        // The process is still healthy and can start another cluster.
        using var broker = EmbeddedKafkaBroker.Start();
        Assert.NotEmpty(broker.BootstrapServers);

        [MethodImpl(MethodImplOptions.NoInlining)]
        static string StartAndForget()
        {
            var broker = EmbeddedKafkaBroker.Start();
            broker.CreateTopic("forgotten", 1);
            return broker.BootstrapServers;
        }
    }

    [LinuxFact("it reads /proc/self/maps; Windows and macOS ship one librdkafka build per runtime, so there is only one file to load")]
    public async Task NativeLibrary_IsTheSameFileConfluentKafkaLoaded()
    {
        using var broker = EmbeddedKafkaBroker.Start();
        using var producer = KafkaTestClients.Producer(broker);
        await producer.ProduceAsync("shared", new Message<byte[]?, byte[]?> { Value = [1] }).Within(Timeout);

        var mapped = File.ReadLines("/proc/self/maps")
            .Select(line => line.IndexOf('/', StringComparison.Ordinal) is var i and >= 0 ? line[i..] : string.Empty)
            .Where(path => Path.GetFileName(path).Contains("librdkafka", StringComparison.Ordinal))
            .Distinct()
            .ToList();

        Assert.Single(mapped);
    }
}
