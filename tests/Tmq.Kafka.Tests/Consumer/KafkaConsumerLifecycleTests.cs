using System.Collections.Concurrent;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Tmq.Kafka.Tests.Fakes;

namespace Tmq.Kafka.Tests.Consumer;

public sealed class KafkaConsumerLifecycleTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(60);

    [Fact]
    public async Task Restart_ResumesFromCommittedPosition_NothingHandledTwice()
    {
        using var broker = EmbeddedKafkaBroker.Start();
        broker.CreateTopic("orders", 3);
        await KafkaConsumerBasicsTests.ProduceAsync(broker, "orders", Enumerable.Range(0, 200).Select(i => ($"k{i % 13}", $"first-{i}")));

        var handled = new ConcurrentDictionary<string, int>();
        var target = 200;
        var reached = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var handler = new DelegateHandler((message, _) =>
        {
            handled.AddOrUpdate(message.ValueAsString(), 1, (_, n) => n + 1);
            if (handled.Count == Volatile.Read(ref target))
            {
                reached.TrySetResult();
            }

            return Task.CompletedTask;
        });

        await using (var first = await TmqKafkaService.StartAsync(broker, "orders", "restart", handler))
        {
            await reached.Task.WaitAsync(Timeout);
            await first.StopAsync();
        }

        Assert.Equal(200, KafkaConsumerBasicsTests.CommittedTotal(broker, "orders", "restart", 3));
        await KafkaConsumerBasicsTests.ProduceAsync(broker, "orders", Enumerable.Range(0, 100).Select(i => ($"k{i % 13}", $"second-{i}")));
        reached = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        Volatile.Write(ref target, 300);

        await using (var second = await TmqKafkaService.StartAsync(broker, "orders", "restart", handler))
        {
            await reached.Task.WaitAsync(Timeout);
            await second.StopAsync();
        }

        Assert.All(handled, h => Assert.True(h.Value == 1, $"{h.Key} handled {h.Value} times"));
        Assert.Equal(300, KafkaConsumerBasicsTests.CommittedTotal(broker, "orders", "restart", 3));
    }

    [Fact]
    public async Task Shutdown_WithHandlerInFlight_WaitsForItAndCommitsIt()
    {
        using var broker = EmbeddedKafkaBroker.Start();
        broker.CreateTopic("orders", 1);
        await KafkaConsumerBasicsTests.ProduceAsync(broker, "orders", [("a", "one"), ("b", "two"), ("c", "slow")]);

        var slowStarted = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var handled = new ConcurrentQueue<string>();
        var handler = new DelegateHandler(async (message, _) =>
        {
            if (message.ValueAsString() == "slow")
            {
                slowStarted.TrySetResult();
                await release.Task;
            }

            handled.Enqueue(message.ValueAsString());
        });

        var service = await TmqKafkaService.StartAsync(broker, "orders", "graceful", handler);
        await slowStarted.Task.WaitAsync(Timeout);
        var stop = service.StopAsync();
        Assert.False(stop.IsCompleted);
        release.SetResult();
        await stop.WaitAsync(Timeout);
        await service.DisposeAsync();

        Assert.Contains("slow", handled);
        Assert.Equal(3, KafkaConsumerBasicsTests.CommittedTotal(broker, "orders", "graceful", 1));
    }

    [Fact]
    public async Task SlowHandler_LongerThanMaxPollInterval_CausesNoRebalance()
    {
        using var broker = EmbeddedKafkaBroker.Start();
        broker.CreateTopic("reports", 2);
        await KafkaConsumerBasicsTests.ProduceAsync(broker, "reports", [("slow", "slow"), ("x", "fast-1"), ("y", "fast-2")]);

        // The suite's usual session timeout: a 1.5 s one let a loaded machine miss heartbeats and
        // rebalance with nothing wrong. max.poll.interval.ms may not be shorter.
        var maxPollInterval = TimeSpan.FromSeconds(3);
        var listener = new RecordingListener();
        var handled = new ConcurrentQueue<string>();
        var slowStarted = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var allDone = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var handler = new DelegateHandler(async (message, _) =>
        {
            if (message.ValueAsString() == "slow")
            {
                // The workload itself is slow: twice max.poll.interval.ms of librdkafka's real clock.
                slowStarted.TrySetResult();
                await Task.Delay(maxPollInterval * 2, CancellationToken.None);
            }

            handled.Enqueue(message.ValueAsString());
            if (handled.Count == 4)
            {
                allDone.TrySetResult();
            }
        });

        await using var service = await TmqKafkaService.StartAsync(broker, "reports", "slow", handler, new()
        {
            ["Tmq:Consumers:main:Kafka:session.timeout.ms"] = "3000",
            ["Tmq:Consumers:main:Kafka:max.poll.interval.ms"] = ((int)maxPollInterval.TotalMilliseconds).ToString(System.Globalization.CultureInfo.InvariantCulture),
        }, services: s => s.AddSingleton<IRebalanceListener>(listener));
        await slowStarted.Task.WaitAsync(Timeout);

        // Produced while the slow handler runs: fetched and handled before it ends only if the
        // poll loop goes on polling meanwhile (which is also what keeps the member in the group).
        await KafkaConsumerBasicsTests.ProduceAsync(broker, "reports", [("z", "late")]);
        await allDone.Task.WaitAsync(Timeout);

        var order = handled.ToList();
        Assert.Equal(["fast-1", "fast-2", "late", "slow"], order.Order(StringComparer.Ordinal));
        Assert.True(order.IndexOf("late") < order.IndexOf("slow"), $"the message produced while the slow handler ran was handled only after it: {string.Join(", ", order)}");
        Assert.Equal(1, listener.Assignments);
        Assert.Equal(0, listener.Revocations + listener.Losses);
    }

    [Fact]
    public async Task BrokerDownAndUp_ConsumerRecoversAndHandlesLaterMessages()
    {
        using var broker = EmbeddedKafkaBroker.Start();
        broker.CreateTopic("orders", 2);
        await KafkaConsumerBasicsTests.ProduceAsync(broker, "orders", Enumerable.Range(0, 50).Select(i => ($"k{i % 5}", $"before-{i}")));

        var handled = new ConcurrentDictionary<string, byte>();
        var handler = new DelegateHandler((message, _) =>
        {
            handled.TryAdd(message.ValueAsString(), 0);
            return Task.CompletedTask;
        });
        var logs = new LogCapture();
        await using var service = await TmqKafkaService.StartAsync(broker, "orders", "outage", handler, logs: logs);
        await Eventually.TrueAsync(() => handled.Count == 50, Timeout, "the first 50 messages were not handled");

        broker.SetBrokerDown(1);
        await Eventually.TrueAsync(() => logs.Has(2006), Timeout, "the consumer never noticed the broker going down");
        broker.SetBrokerUp(1);

        await KafkaConsumerBasicsTests.ProduceAsync(broker, "orders", Enumerable.Range(0, 50).Select(i => ($"k{i % 5}", $"after-{i}")));
        await Eventually.TrueAsync(() => handled.Count == 100, Timeout, "messages produced after the outage were not handled");
        await service.StopAsync();
        Assert.Equal(100, KafkaConsumerBasicsTests.CommittedTotal(broker, "orders", "outage", 2));
    }

    [Fact]
    public async Task Shutdown_WithTheBrokerGone_EndsWithinItsBoundAndAbandonsTheBlockedClient()
    {
        using var broker = EmbeddedKafkaBroker.Start();
        broker.CreateTopic("orders", 2);
        await KafkaConsumerBasicsTests.ProduceAsync(broker, "orders", Enumerable.Range(0, 20).Select(i => ($"k{i % 5}", $"m-{i}")));
        var handled = new ConcurrentDictionary<string, byte>();
        var handler = new DelegateHandler((message, _) =>
        {
            handled.TryAdd(message.ValueAsString(), 0);
            return Task.CompletedTask;
        });
        var logs = new LogCapture();

        // The session timeout is how long librdkafka lets a commit wait for a coordinator: longer
        // than disposal's bound (ShutdownTimeout 1 s + 10 s), short enough for the test to see the
        // abandoned thread finish on its own afterwards.
        var settings = new Dictionary<string, string?>
        {
            ["Tmq:Consumers:main:ShutdownTimeout"] = "00:00:01",
            ["Tmq:Consumers:main:Kafka:session.timeout.ms"] = "20000",
            ["Tmq:Consumers:main:Kafka:heartbeat.interval.ms"] = "1000",
        };
        var service = await TmqKafkaService.StartAsync(
            broker, "orders", "gone", handler, settings, services: s => s.Configure<HostOptions>(o => o.ShutdownTimeout = TimeSpan.FromSeconds(3)), logs: logs);
        await Eventually.TrueAsync(() => handled.Count == 20, Timeout, "the messages were not handled");
        broker.SetBrokerDown(1);
        await Eventually.TrueAsync(() => logs.Has(2006), Timeout, "the consumer never noticed the broker going down");

        // The host stops waiting after its 3 s; disposal gives the client ShutdownTimeout + 10 s
        // from the stop, then leaves it behind instead of blocking the process's exit on it.
        // Not timed (a loaded machine stretches any bound): disposal must return while the poll
        // thread is still blocked in the client, whose commit waits the 20 s session timeout.
        var status = service.Status;
        await service.DisposeAsync().AsTask().WaitAsync(TimeSpan.FromSeconds(60));
        Assert.True(status.Running, "disposal waited for the blocked poll thread instead of leaving it behind");
        Assert.True(logs.Has(2014), "the host's shutdown timeout should have been reported");
        Assert.True(logs.Has(2017), "the blocked client should have been abandoned");

        // The abandoned poll thread gets its answer when the commit times out, then closes and
        // destroys the client by itself, without touching the disposed host (which would throw
        // on that thread and end the process).
        await Eventually.TrueAsync(() => !status.Running, TimeSpan.FromSeconds(90), "the abandoned poll thread never finished");
        Assert.DoesNotContain(logs.Events, e => e.EventId == 2013);
    }

    internal sealed class RecordingListener : IRebalanceListener
    {
        private int _assignments;
        private int _revocations;
        private int _losses;

        public int Assignments => Volatile.Read(ref _assignments);

        public int Revocations => Volatile.Read(ref _revocations);

        public int Losses => Volatile.Read(ref _losses);

        public Task OnAssignedAsync(IReadOnlyList<KafkaPartition> partitions, CancellationToken cancellationToken)
        {
            Interlocked.Increment(ref _assignments);
            return Task.CompletedTask;
        }

        public Task OnRevokedAsync(IReadOnlyList<KafkaPartition> partitions, CancellationToken cancellationToken)
        {
            Interlocked.Increment(ref _revocations);
            return Task.CompletedTask;
        }

        public Task OnLostAsync(IReadOnlyList<KafkaPartition> partitions, CancellationToken cancellationToken)
        {
            Interlocked.Increment(ref _losses);
            return Task.CompletedTask;
        }
    }
}
