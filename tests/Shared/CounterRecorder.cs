using System.Collections.Concurrent;
using System.Diagnostics.Metrics;

namespace Tmq.Tests.Shared;

/// <summary>
/// Records every measurement of the Tmq meter's counters for one consumer group (Kafka) or channel (NSQ), by series:
/// <c>tmq.consumer.outcomes{success}</c> for a series with a <c>tmq.outcome</c> or
/// <c>tmq.rebalance</c> label, the instrument's name alone otherwise. An exporter lists a series
/// once it has a measurement, even of 0. Observable counters (the outcomes) are collected when
/// read, as an exporter collects them when scraped: their series are those of the consumers
/// registered at that moment, and their value is the sum of what those report.
/// </summary>
internal sealed class CounterRecorder : IDisposable
{
    private readonly MeterListener _listener = new();
    private readonly ConcurrentQueue<(string Series, long Value)> _measurements = new();
    private readonly Lock _collecting = new();
    private Dictionary<string, long> _observed = new(StringComparer.Ordinal);

    public CounterRecorder(string group)
    {
        _listener.InstrumentPublished = (instrument, listener) =>
        {
            // The runtime's meter (TmqMetrics.MeterName; not visible to every test project).
            if (instrument.Meter.Name == "Tmq" && instrument is Counter<long> or ObservableCounter<long>)
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

            if (!Equals(measuredGroup, group))
            {
                return;
            }

            var series = label is null ? instrument.Name : $"{instrument.Name}{{{label}}}";
            if (instrument.IsObservable)
            {
                // Only during Collect, on its thread: a cumulative value per registered consumer.
                _observed[series] = _observed.GetValueOrDefault(series) + value;
            }
            else
            {
                _measurements.Enqueue((series, value));
            }
        });
        _listener.Start();
    }

    /// <summary>Every series with at least one measurement, and every observable series now.</summary>
    public IReadOnlySet<string> Series => _measurements.Select(static m => m.Series).Concat(Collect().Keys).ToHashSet(StringComparer.Ordinal);

    /// <summary>The value of <paramref name="series"/> as a cumulative counter: the sum of its measurements, or for an observable counter what it reports now.</summary>
    public long Total(string series) =>
        Collect().TryGetValue(series, out var observed) ? observed : _measurements.Where(m => m.Series == series).Sum(static m => m.Value);

    private Dictionary<string, long> Collect()
    {
        lock (_collecting)
        {
            _observed = new Dictionary<string, long>(StringComparer.Ordinal);
            _listener.RecordObservableInstruments();
            return _observed;
        }
    }

    public void Dispose() => _listener.Dispose();
}
