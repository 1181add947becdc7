using System.Diagnostics.Metrics;
using Tmq.Telemetry;

namespace Tmq.Kafka.Tests.Fakes;

/// <summary>Reads one of the Tmq meter's gauges now, as an exporter would scrape it.</summary>
internal static class TmqGauge
{
    /// <summary>The sum of <paramref name="instrument"/> over the series of <paramref name="group"/>, or -1 with no series.</summary>
    public static long Read(string instrument, string group)
    {
        long total = 0;
        var series = 0;
        using var listener = new MeterListener();
        listener.InstrumentPublished = (published, l) =>
        {
            if (published.Meter.Name == TmqMetrics.MeterName && published.Name == instrument)
            {
                l.EnableMeasurementEvents(published);
            }
        };
        listener.SetMeasurementEventCallback<long>((_, value, tags, _) =>
        {
            foreach (var tag in tags)
            {
                if (tag.Key == "messaging.consumer.group.name" && Equals(tag.Value, group))
                {
                    total += value;
                    series++;
                }
            }
        });
        listener.Start();
        listener.RecordObservableInstruments();
        return series == 0 ? -1 : total;
    }
}
