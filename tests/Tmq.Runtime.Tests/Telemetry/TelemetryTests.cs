using System.Collections.Concurrent;
using System.Diagnostics;
using System.Diagnostics.Metrics;
using Tmq.Tests.Fakes;

namespace Tmq.Tests.Telemetry;

[Collection(nameof(TelemetryTests))]
public sealed class TelemetryTests
{
    [Fact]
    public async Task Outcomes_AreCountedOnTheTmqMeter()
    {
        var outcomes = new ConcurrentDictionary<string, long>();
        var durations = 0;
        using var listener = new MeterListener();
        listener.InstrumentPublished = (instrument, l) =>
        {
            if (instrument.Meter.Name == "Tmq" && instrument.Name is "tmq.consumer.outcomes" or "messaging.process.duration")
            {
                l.EnableMeasurementEvents(instrument);
            }
        };
        listener.SetMeasurementEventCallback<long>((instrument, value, tags, _) =>
        {
            if (Tag(tags, "messaging.destination.name") as string == "metered")
            {
                outcomes.AddOrUpdate((string)Tag(tags, "tmq.outcome")!, value, (_, v) => v + value);
            }
        });
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

        Assert.Equal(3, outcomes.GetValueOrDefault("success"));
        Assert.Equal(1, outcomes.GetValueOrDefault("retry"));
        Assert.Equal(1, outcomes.GetValueOrDefault("dead_letter"));
        Assert.Equal(5, Volatile.Read(ref durations));
    }

    [Fact]
    public async Task Processing_ContinuesTheProducersTrace()
    {
        var spans = new ConcurrentQueue<Activity>();
        using var listener = new ActivityListener
        {
            ShouldListenTo = source => source.Name == "Tmq",
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
            ActivityStopped = spans.Enqueue,
        };
        ActivitySource.AddActivityListener(listener);

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
