using System.Collections.Concurrent;
using System.Text;
using Confluent.Kafka;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Tmq.Kafka.Tests.Fakes;

namespace Tmq.Kafka.Tests.Consumer;

/// <summary>
/// Partitions lost (the group moved on without this member: librdkafka's assignment-lost path, here
/// after the coordinator refused a heartbeat with UNKNOWN_MEMBER_ID), and a stale handler of the
/// lost assignment that finishes after the partition came back to the same member.
/// </summary>
public sealed class KafkaConsumerLossTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(60);

    [Fact]
    public async Task Lost_InFlightHandlerIsCancelledBeforeOnLost_NothingIsCommittedForIt_AndItsLateCompletionMovesNothingInTheNextAssignment()
    {
        using var broker = EmbeddedKafkaBroker.Start();
        broker.CreateTopic("lost", 2);
        var handler = new StaleHandler();
        var listener = new LossListener(handler.Cancelled.Task);
        await using var service = await TmqKafkaService.StartAsync(
            broker,
            "lost",
            "lost-svc",
            handler,
            new() { ["Tmq:Consumers:main:Kafka:auto.commit.interval.ms"] = "100" },
            services: s => s.AddSingleton<IRebalanceListener>(listener),
            logs: new LogCapture());
        try
        {
            await ProduceAsync(broker, "lost", 0, ("a", "stale"), ("b", "b1"));
            await handler.Started.Task.WaitAsync(Timeout);
            await Eventually.TrueAsync(() => handler.Count("b1") == 1, Timeout, "b1 was not handled");

            broker.PushRequestErrors(KafkaApiKey.Heartbeat, ErrorCode.UnknownMemberId);
            var (lost, cancelledFirst) = await listener.Lost.Task.WaitAsync(Timeout);

            Assert.Contains(new KafkaPartition("lost", 0), lost);
            Assert.True(cancelledFirst, "OnLostAsync was called before the lost partition's in-flight handler was cancelled");

            // The partition comes back to this member, which reads again from what was committed:
            // nothing past the stale message, so b1 (behind it) is handled again.
            await Eventually.TrueAsync(() => handler.Count("b1") >= 2, Timeout, "b1 was not redelivered after the partition came back");

            // A barrier (a message on the other partition, handled and committed): every position of
            // the new assignment is stored and committed by now, partition 0's at 0.
            await ProduceAsync(broker, "lost", 1, ("m", "marker-1"));
            await Eventually.TrueAsync(() => Committed(broker, "lost-svc", 1) == 1, Timeout, "the first marker was not committed");

            // The stale call returns now. Its message is redelivered in the new assignment and waits
            // for it (same key), then runs, and is held there.
            handler.ReleaseStale.SetResult();
            await handler.Redelivered.Task.WaitAsync(Timeout);

            // Another barrier, handled after the stale call returned: any position stored for
            // partition 0 since then was committed with it.
            await ProduceAsync(broker, "lost", 1, ("m", "marker-2"));
            await Eventually.TrueAsync(() => Committed(broker, "lost-svc", 1) == 2, Timeout, "the second marker was not committed");
            Assert.True(Committed(broker, "lost-svc", 0) <= 0, "the stale call's completion committed past the redelivered message, which still runs");

            handler.ReleaseRedelivery.SetResult();
            await Eventually.TrueAsync(() => Committed(broker, "lost-svc", 0) == 2, Timeout, "partition 0 was not committed once the redelivery finished");
        }
        finally
        {
            handler.ReleaseStale.TrySetResult();
            handler.ReleaseRedelivery.TrySetResult();
        }
    }

    [Fact]
    public async Task Lost_UnderStopPolicyTheCancelledHandlerFailsItsLastAttempt_ThePartitionComingBackIsReadAgainAndHealthStaysHealthy()
    {
        // A handler that turns its cancellation into an error of its own, on its last attempt under
        // the Stop policy: the loss cancelled it, so there is nothing to halt, and the partition,
        // back with this member, is read again from the uncommitted message.
        using var broker = EmbeddedKafkaBroker.Start();
        broker.CreateTopic("lost-stop", 1);
        var started = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var handled = new ConcurrentQueue<string>();
        var calls = 0;
        var handler = new DelegateHandler(async (message, token) =>
        {
            if (Interlocked.Increment(ref calls) == 1)
            {
                started.SetResult();
                try
                {
                    await Task.Delay(System.Threading.Timeout.Infinite, token);
                }
                catch (OperationCanceledException)
                {
                    throw new InvalidOperationException("the connection was closed");
                }
            }

            handled.Enqueue(message.ValueAsString());
        });
        await using var service = await TmqKafkaService.StartAsync(broker, "lost-stop", "lost-stop-svc", handler, new()
        {
            ["Tmq:Consumers:main:Retry:MaxAttempts"] = "1",
            ["Tmq:Consumers:main:Retry:OnExhausted"] = "Stop",
        });
        await ProduceAsync(broker, "lost-stop", 0, ("a", "order"));
        await started.Task.WaitAsync(Timeout);

        broker.PushRequestErrors(KafkaApiKey.Heartbeat, ErrorCode.UnknownMemberId);
        await Eventually.TrueAsync(() => handled.Contains("order"), Timeout, "the partition, back with this member, was not read again");

        var health = service.Services.GetRequiredService<HealthCheckService>();
        Assert.Equal(HealthStatus.Healthy, (await health.CheckHealthAsync()).Status);
        await service.StopAsync();
        using var reader = KafkaTestClients.GroupConsumer(broker, "lost-stop-svc");
        Assert.Equal(1, reader.Committed([new TopicPartition("lost-stop", 0)], TimeSpan.FromSeconds(10))[0].Offset.Value);
    }

    [Fact]
    public async Task Fatal_ConsumerFencedByTheCoordinator_HealthTurnsUnhealthyAndTheHostStopsWithExitCode1()
    {
        using var broker = EmbeddedKafkaBroker.Start();
        broker.CreateTopic("fenced", 1);
        var handled = 0;
        var handler = new DelegateHandler((_, _) =>
        {
            Interlocked.Increment(ref handled);
            return Task.CompletedTask;
        });
        var logs = new LogCapture();
        var exitCode = Environment.ExitCode;
        try
        {
            await using var service = await TmqKafkaService.StartAsync(broker, "fenced", "fenced-svc", handler, logs: logs);
            var lifetime = service.Services.GetRequiredService<IHostApplicationLifetime>();
            var stopping = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            using var registration = lifetime.ApplicationStopping.Register(() => stopping.TrySetResult());
            await service.WaitForAssignmentAsync();
            await ProduceAsync(broker, "fenced", 0, ("a", "one"));
            await Eventually.TrueAsync(() => Volatile.Read(ref handled) == 1, Timeout, "the message was not handled");
            var health = service.Services.GetRequiredService<HealthCheckService>();
            Assert.Equal(HealthStatus.Healthy, (await health.CheckHealthAsync()).Status);

            // librdkafka takes FENCED_INSTANCE_ID for a fatal error: the client is unusable.
            broker.PushRequestErrors(KafkaApiKey.Heartbeat, ErrorCode.FencedInstanceId);
            await stopping.Task.WaitAsync(Timeout);

            Assert.Equal(1, Environment.ExitCode);
            // Whether librdkafka reports it through the error callback (2007) or the next poll throws it (2013).
            Assert.Contains(logs.Events, static e => e.Level == LogLevel.Critical && e.EventId is 2007 or 2013);
            var report = await health.CheckHealthAsync();
            Assert.Equal(HealthStatus.Unhealthy, report.Status);
            Assert.Contains("stopped", report.Entries["tmq-consumer-main"].Description, StringComparison.Ordinal);
        }
        finally
        {
            // The test process's own exit code must not carry this.
            Environment.ExitCode = exitCode;
        }
    }

    [Fact]
    public async Task Listener_ThrowsOnEveryCallback_IsLoggedAndTheConsumerGoesOnThroughAssignmentAndLoss()
    {
        using var broker = EmbeddedKafkaBroker.Start();
        broker.CreateTopic("listener", 1);
        var handled = new ConcurrentQueue<string>();
        var handler = new DelegateHandler((message, _) =>
        {
            handled.Enqueue(message.ValueAsString());
            return Task.CompletedTask;
        });
        var logs = new LogCapture();
        var listener = new ThrowingListener();
        await using var service = await TmqKafkaService.StartAsync(
            broker, "listener", "listener-svc", handler, logs: logs, services: s => s.AddSingleton<IRebalanceListener>(listener));
        var lifetime = service.Services.GetRequiredService<IHostApplicationLifetime>();

        await ProduceAsync(broker, "listener", 0, ("a", "before"));
        await Eventually.TrueAsync(() => handled.Contains("before"), Timeout, "nothing was handled after OnAssignedAsync threw");
        Assert.True(logs.Has(2010), "the listener's exception was not logged");

        broker.PushRequestErrors(KafkaApiKey.Heartbeat, ErrorCode.UnknownMemberId);
        await Eventually.TrueAsync(() => Volatile.Read(ref listener.Losses) >= 1 && Volatile.Read(ref listener.Assignments) >= 2, Timeout, "the partition was not lost and assigned again");
        await ProduceAsync(broker, "listener", 0, ("a", "after"));
        await Eventually.TrueAsync(() => handled.Contains("after"), Timeout, "nothing was handled after OnLostAsync threw");

        var health = service.Services.GetRequiredService<HealthCheckService>();
        Assert.Equal(HealthStatus.Healthy, (await health.CheckHealthAsync()).Status);
        Assert.False(lifetime.ApplicationStopping.IsCancellationRequested, "a throwing listener stopped the service");
        Assert.Contains(logs.Events, e => e.EventId == 2010 && e.Message.Contains(nameof(IRebalanceListener.OnLostAsync), StringComparison.Ordinal));
    }

    private static async Task ProduceAsync(EmbeddedKafkaBroker broker, string topic, int partition, params (string Key, string Value)[] messages)
    {
        using var producer = KafkaTestClients.Producer(broker);
        foreach (var (key, value) in messages)
        {
            await producer.ProduceAsync(
                new TopicPartition(topic, partition),
                new Message<byte[]?, byte[]?> { Key = Encoding.UTF8.GetBytes(key), Value = Encoding.UTF8.GetBytes(value) });
        }
    }

    /// <summary>The group's committed offset of one partition of "lost" (-1001 when none).</summary>
    private static long Committed(EmbeddedKafkaBroker broker, string group, int partition)
    {
        using var reader = KafkaTestClients.GroupConsumer(broker, group);
        return reader.Committed([new TopicPartition("lost", partition)], TimeSpan.FromSeconds(10))[0].Offset.Value;
    }

    /// <summary>
    /// "stale": the first call ignores its cancellation (noting when it came) and returns at
    /// <see cref="ReleaseStale"/>; later calls wait for <see cref="ReleaseRedelivery"/>. Every
    /// other message is counted and returns at once.
    /// </summary>
    private sealed class StaleHandler : IMessageHandler
    {
        private readonly ConcurrentDictionary<string, int> _counts = new();

        public TaskCompletionSource Started { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public TaskCompletionSource Cancelled { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public TaskCompletionSource ReleaseStale { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public TaskCompletionSource Redelivered { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public TaskCompletionSource ReleaseRedelivery { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public int Count(string value) => _counts.GetValueOrDefault(value);

        public async Task HandleAsync(TmqMessage message, CancellationToken cancellationToken)
        {
            var value = message.ValueAsString();
            var n = _counts.AddOrUpdate(value, 1, static (_, c) => c + 1);
            if (value != "stale")
            {
                return;
            }

            if (n == 1)
            {
                using var noted = cancellationToken.Register(() => Cancelled.TrySetResult());
                Started.SetResult();
                await ReleaseStale.Task;
            }
            else
            {
                Redelivered.TrySetResult();
                await ReleaseRedelivery.Task;
            }
        }
    }

    private sealed class LossListener(Task cancelled) : IRebalanceListener
    {
        public TaskCompletionSource<(IReadOnlyList<KafkaPartition> Partitions, bool CancelledFirst)> Lost { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public Task OnAssignedAsync(IReadOnlyList<KafkaPartition> partitions, CancellationToken cancellationToken) => Task.CompletedTask;

        public Task OnRevokedAsync(IReadOnlyList<KafkaPartition> partitions, CancellationToken cancellationToken) => Task.CompletedTask;

        public Task OnLostAsync(IReadOnlyList<KafkaPartition> partitions, CancellationToken cancellationToken)
        {
            Lost.TrySetResult((partitions, cancelled.IsCompleted));
            return Task.CompletedTask;
        }
    }

    private sealed class ThrowingListener : IRebalanceListener
    {
        public int Assignments;
        public int Losses;

        public Task OnAssignedAsync(IReadOnlyList<KafkaPartition> partitions, CancellationToken cancellationToken)
        {
            if (partitions.Count > 0)
            {
                Interlocked.Increment(ref Assignments);
            }

            throw new InvalidOperationException("listener failed on assignment");
        }

        public Task OnRevokedAsync(IReadOnlyList<KafkaPartition> partitions, CancellationToken cancellationToken) =>
            throw new InvalidOperationException("listener failed on revocation");

        public Task OnLostAsync(IReadOnlyList<KafkaPartition> partitions, CancellationToken cancellationToken)
        {
            Interlocked.Increment(ref Losses);
            return Task.FromException(new InvalidOperationException("listener failed on loss"));
        }
    }
}
