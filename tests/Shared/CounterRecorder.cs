using System.Collections.Concurrent;
using System.Diagnostics.Metrics;

namespace Tmq.Tests.Shared;

/// <summary>
/// Records every measurement of the Tmq meter's counters for one consumer group (Kafka) or channel (NSQ), by series:
/// <c>tmq.consumer.outcomes{success}</c> for a series with a <c>tmq.outcome</c> or
/// <c>tmq.rebalance</c> label, the instrument's name alone otherwise. An exporter lists a series
/// once it has a measurement, even of 0.
/// </summary>
internal sealed class CounterRecorder : IDisposable
{
    private readonly MeterListener _listener = new();
    private readonly ConcurrentQueue<(string Series, long Value)> _measurements = new();

    public CounterRecorder(string group)
    {
        _listener.InstrumentPublished = (instrument, listener) =>
        {
            // The runtime's meter (TmqMetrics.MeterName; not visible to every test project).
            if (instrument.Meter.Name == "Tmq" && instrument is Counter<long>)
            {
                listener.EnableMeasurementEvents(instrument);
            }
        };
        _listener.SetMeasurementEventCallback<long>((instrument, value, tags, _) =>
        {
            object? measuredGroup = null;
            string? label = null;
            foreach (var tag in tags)
            {
                if (tag.Key == "messaging.consumer.group.name")
                {
                    measuredGroup = tag.Value;
                }
                else if (tag.Key is "tmq.outcome" or "tmq.rebalance")
                {
                    label = tag.Value as string;
                }
            }

            if (Equals(measuredGroup, group))
            {
                _measurements.Enqueue((label is null ? instrument.Name : $"{instrument.Name}{{{label}}}", value));
            }
        });
        _listener.Start();
    }

    /// <summary>Every series with at least one measurement.</summary>
    public IReadOnlySet<string> Series => _measurements.Select(static m => m.Series).ToHashSet(StringComparer.Ordinal);

    /// <summary>The sum of the measurements of <paramref name="series"/>: its value as a cumulative counter.</summary>
    public long Total(string series) => _measurements.Where(m => m.Series == series).Sum(static m => m.Value);

    public void Dispose() => _listener.Dispose();
}
