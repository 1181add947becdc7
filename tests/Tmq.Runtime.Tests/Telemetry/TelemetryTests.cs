using System.Collections.Concurrent;
using System.Diagnostics;
using System.Diagnostics.Metrics;
using Tmq.Tests.Fakes;

namespace Tmq.Tests.Telemetry;

[Collection(nameof(TelemetryTests))]
public sealed class TelemetryTests
{
    [Fact]
    public async Task ProcessDuration_IsRecordedOnTheTmqMeterForEveryAttempt()
    {
        // The outcomes are counted by the engine and read by the transports' registered gauges
        // (KafkaConsumerMetricsTests, NsqConsumerMetricsTests); the duration is measured per call.
        var durations = 0;
        using var listener = new MeterListener();
        listener.InstrumentPublished = (instrument, l) =>
        {
            if (instrument.Meter.Name == "Tmq" && instrument.Name == "messaging.process.duration")
            {
                l.EnableMeasurementEvents(instrument);
            }
        };
        listener.SetMeasurementEventCallback<double>((_, _, tags, _) =>
        {
            if (Tag(tags, "messaging.destination.name") as string == "metered")
            {
                Interlocked.Increment(ref durations);
            }
        });
        listener.Start();

        var handler = new DelegateHandler((message, _) => message.ValueAsString() switch
        {
            "poison" => throw new PermanentFailureException("bad"),
            "flaky" when message.Attempt == 1 => throw new InvalidOperationException("once"),
            _ => Task.CompletedTask,
        });
        var options = new ConsumerOptions { Topic = "metered", Retry = { InitialDelay = TimeSpan.Zero, MaxDelay = TimeSpan.Zero } };
        await using (var consumer = new InMemoryConsumer(handler, options))
        {
            foreach (var value in new[] { "a", "b", "flaky", "poison" })
            {
                await consumer.PublishAsync(value, value);
            }

            await consumer.WaitForIdleAsync(TestTimeout.Default);
        }

        // a, b, flaky twice, poison once.
        Assert.Equal(5, Volatile.Read(ref durations));
    }

    [Fact]
    public async Task Processing_ContinuesTheProducersTrace()
    {
        var spans = new ConcurrentQueue<Activity>();
        using var listener = Listen(spans);
        var traceId = ActivityTraceId.CreateRandom();
        var parent = ActivitySpanId.CreateRandom();
        var headers = new TmqHeaders().Add("traceparent", $"00-{traceId}-{parent}-01");
        await using (var consumer = new InMemoryConsumer(DelegateHandler.Succeed(), new ConsumerOptions { Topic = "traced" }))
        {
            await consumer.PublishAsync("k", "v", headers);
            await consumer.WaitForIdleAsync(TestTimeout.Default);
        }

        var span = Assert.Single(spans, s => (string?)s.GetTagItem("messaging.destination.name") == "traced");
        Assert.Equal(traceId, span.TraceId);
        Assert.Equal(parent, span.ParentSpanId);
        Assert.Equal(ActivityKind.Consumer, span.Kind);
        Assert.Equal("process traced", span.DisplayName);
    }

    [Fact]
    public async Task DeadLettering_AfterRetries_GivesEachAttemptASpanAndTheWriteASendSpanUnderTheLastAttempt()
    {
        var spans = new ConcurrentQueue<Activity>();
        using var listener = Listen(spans);
        var traceId = ActivityTraceId.CreateRandom();
        var sender = ActivitySpanId.CreateRandom();
        var headers = new TmqHeaders().Add("traceparent", $"00-{traceId}-{sender}-01");
        var handler = new DelegateHandler((_, _) => throw new InvalidOperationException("always"));
        var options = new ConsumerOptions { Topic = "exhausted", Retry = { MaxAttempts = 3, InitialDelay = TimeSpan.Zero, MaxDelay = TimeSpan.Zero } };
        await using (var consumer = new InMemoryConsumer(handler, options))
        {
            await consumer.PublishAsync("k", "v", headers);
            await consumer.WaitForIdleAsync(TestTimeout.Default);
        }

        var trace = spans.Where(s => s.TraceId == traceId).ToList();
        var attempts = trace.Where(s => s.Kind == ActivityKind.Consumer).OrderBy(s => s.StartTimeUtc).ToList();
        Assert.Equal([1, 2, 3], attempts.Select(s => (int)s.GetTagItem("messaging.message.delivery_attempt")!));
        Assert.All(attempts, s => Assert.Equal(sender, s.ParentSpanId));
        Assert.All(attempts, s => Assert.Equal(ActivityStatusCode.Error, s.Status));
        Assert.All(attempts, s => Assert.Equal("System.InvalidOperationException", s.GetTagItem("error.type")));
        Assert.All(attempts, s => Assert.Contains(s.Events, e => e.Name == "exception"));

        var send = Assert.Single(trace, s => s.Kind == ActivityKind.Producer);
        Assert.Equal("send exhausted.dlq", send.DisplayName);
        Assert.Equal(attempts[^1].SpanId, send.ParentSpanId);
        Assert.Equal(ActivityStatusCode.Unset, send.Status);
        Assert.Equal("exhausted.dlq", send.GetTagItem("messaging.destination.name"));
        Assert.Equal("send", send.GetTagItem("messaging.operation.type"));
        Assert.Equal(3, send.GetTagItem("tmq.dead_letter.attempts"));
        Assert.Equal("exhausted", send.GetTagItem("tmq.dead_letter.original_topic"));
        Assert.Equal("in-memory", send.GetTagItem("tmq.dead_letter.group"));
        Assert.Equal("System.InvalidOperationException", send.GetTagItem("tmq.dead_letter.exception_type"));
    }

    [Fact]
    public async Task DeadLetterWrite_FailingOnce_GivesBothWritesASendSpanUnderTheFailedAttempt()
    {
        var spans = new ConcurrentQueue<Activity>();
        using var listener = Listen(spans);
        var traceId = ActivityTraceId.CreateRandom();
        var headers = new TmqHeaders().Add("traceparent", $"00-{traceId}-{ActivitySpanId.CreateRandom()}-01");
        var handler = new DelegateHandler((_, _) => throw new PermanentFailureException("poison"));
        var options = new ConsumerOptions { Topic = "rewritten", DeadLetter = { RetryDelay = TimeSpan.FromMilliseconds(1) } };
        await using (var consumer = new InMemoryConsumer(handler, options) { DeadLetterSink = new FailingDeadLetterSink(failures: 1) })
        {
            await consumer.PublishAsync("k", "v", headers);
            await consumer.WaitForIdleAsync(TestTimeout.Default);
        }

        var trace = spans.Where(s => s.TraceId == traceId).ToList();
        var attempt = Assert.Single(trace, s => s.Kind == ActivityKind.Consumer);
        var writes = trace.Where(s => s.Kind == ActivityKind.Producer).OrderBy(s => s.StartTimeUtc).ToList();
        Assert.Equal(2, writes.Count);
        Assert.All(writes, s => Assert.Equal(attempt.SpanId, s.ParentSpanId));
        Assert.Equal(ActivityStatusCode.Error, writes[0].Status);
        Assert.Equal("System.IO.IOException", writes[0].GetTagItem("error.type"));
        Assert.Equal(ActivityStatusCode.Unset, writes[1].Status);
    }

    private static ActivityListener Listen(ConcurrentQueue<Activity> spans)
    {
        var listener = new ActivityListener
        {
            ShouldListenTo = source => source.Name == "Tmq",
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
            ActivityStopped = spans.Enqueue,
        };
        ActivitySource.AddActivityListener(listener);
        return listener;
    }

    private static object? Tag(ReadOnlySpan<KeyValuePair<string, object?>> tags, string name)
    {
        foreach (var tag in tags)
        {
            if (tag.Key == name)
            {
                return tag.Value;
            }
        }

        return null;
    }
}
