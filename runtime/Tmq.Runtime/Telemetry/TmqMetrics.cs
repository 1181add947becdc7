using System.Collections.Concurrent;
using System.Diagnostics;
using System.Diagnostics.Metrics;

namespace Tmq.Telemetry;

/// <summary>
/// The <c>Tmq</c> meter: every instrument of the runtime, named after OpenTelemetry's messaging
/// conventions where one exists. One instance per service provider (from <see cref="IMeterFactory"/>)
/// or per engine in tests.
/// </summary>
internal sealed class TmqMetrics : IDisposable
{
    public const string MeterName = "Tmq";

    private static readonly double[] DurationBuckets =
        [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];

    private readonly Meter _meter;
    private readonly ConcurrentDictionary<IConsumerGauges, byte> _consumers = new();

    public TmqMetrics(IMeterFactory? meterFactory = null)
    {
        _meter = meterFactory?.Create(MeterName) ?? new Meter(MeterName);
        Consumed = _meter.CreateCounter<long>("messaging.client.consumed.messages", "{message}", "Messages delivered to the consumer by the broker.");
        Sent = _meter.CreateCounter<long>("messaging.client.sent.messages", "{message}", "Messages the producer had acknowledged.");
        ProcessDuration = _meter.CreateHistogram(
            "messaging.process.duration",
            "s",
            "Duration of one handler call.",
            advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = DurationBuckets });
        Outcomes = _meter.CreateObservableCounter("tmq.consumer.outcomes", ObserveOutcomes, "{message}", "Handler outcomes: success, retry, dead_letter, requeue, stopped, cancelled.");
        DeadLetterWriteFailures = _meter.CreateCounter<long>("tmq.dead_letter.write_failures", "{write}", "Dead-letter writes that failed and will be retried.");
        Rebalances = _meter.CreateCounter<long>("tmq.consumer.rebalances", "{rebalance}", "Rebalances this consumer took part in, one per assignment, revocation or loss whatever the number of partitions (tmq.rebalance says which).");
        _meter.CreateObservableGauge("tmq.consumer.in_flight", () => Observe(static c => c.InFlight), "{message}", "Handler calls running now.");
        _meter.CreateObservableGauge("tmq.consumer.buffered", () => Observe(static c => c.Buffered), "{message}", "Fetched messages not yet finished.");
        _meter.CreateObservableGauge("tmq.consumer.paused", () => Observe(static c => c.Paused ? 1 : 0), "{consumer}", "1 while fetching is paused (backpressure, Paused option or a stopped partition).");
        _meter.CreateObservableGauge("tmq.consumer.lag", ObserveLag, "{message}", "Messages behind the end of each partition.");
        _meter.CreateObservableGauge("tmq.consumer.depth", ObserveDepth, "{message}", "Messages waiting in the channel on each nsqd (server.address), as nsqd's /stats last said: NSQ's lag.");
    }

    public Counter<long> Consumed { get; }

    public Counter<long> Sent { get; }

    public Histogram<double> ProcessDuration { get; }

    /// <summary>
    /// Read from each registered consumer's own totals when collected (<see cref="IConsumerGauges.OutcomeTotals"/>),
    /// not measured per message: every series of every registered consumer is there from its registration, at 0.
    /// </summary>
    public ObservableCounter<long> Outcomes { get; }

    public Counter<long> DeadLetterWriteFailures { get; }

    public Counter<long> Rebalances { get; }

    /// <summary>
    /// Adds <paramref name="consumer"/> to the gauges and the outcome counter, and starts every other
    /// counter series it reports at zero: an exporter lists a series only once it has a measurement,
    /// and a dashboard or alert on one that has not counted yet would show "no data" (and
    /// <c>increase()</c> would miss its first count).
    /// </summary>
    public IDisposable Register(IConsumerGauges consumer)
    {
        _consumers.TryAdd(consumer, 0);
        var tags = new TagList(consumer.Tags.AsSpan());
        Consumed.Add(0, tags);
        DeadLetterWriteFailures.Add(0, tags);

        foreach (var kind in consumer.Rebalances)
        {
            Rebalances.Add(0, new TagList(consumer.Tags.AsSpan()) { { "tmq.rebalance", kind } });
        }

        return new Registration(this, consumer);
    }

    /// <summary>The consumers registered now, for the status reports.</summary>
    public ICollection<IConsumerGauges> Consumers => _consumers.Keys;

    public void Dispose() => _meter.Dispose();

    private IEnumerable<Measurement<long>> Observe(Func<IConsumerGauges, long> read)
    {
        foreach (var consumer in _consumers.Keys)
        {
            yield return new Measurement<long>(read(consumer), consumer.Tags);
        }
    }

    private IEnumerable<Measurement<long>> ObserveOutcomes()
    {
        foreach (var consumer in _consumers.Keys)
        {
            foreach (var (outcome, total) in consumer.OutcomeTotals())
            {
                yield return new Measurement<long>(total, [.. consumer.Tags, new("tmq.outcome", outcome)]);
            }
        }
    }

    private IEnumerable<Measurement<long>> ObserveLag()
    {
        foreach (var consumer in _consumers.Keys)
        {
            foreach (var (partition, lag) in consumer.Lag())
            {
                var tags = new List<KeyValuePair<string, object?>>(consumer.Tags)
                {
                    new("messaging.destination.partition.id", partition.ToString(System.Globalization.CultureInfo.InvariantCulture)),
                };
                yield return new Measurement<long>(lag, tags);
            }
        }
    }

    private IEnumerable<Measurement<long>> ObserveDepth()
    {
        foreach (var consumer in _consumers.Keys)
        {
            foreach (var (server, depth) in consumer.Depth())
            {
                yield return new Measurement<long>(depth, [.. consumer.Tags, new("server.address", server)]);
            }
        }
    }

    private sealed class Registration(TmqMetrics owner, IConsumerGauges consumer) : IDisposable
    {
        public void Dispose() => owner._consumers.TryRemove(consumer, out _);
    }
}

/// <summary>What a consumer reports to the observable gauges, and which counter series it reports.</summary>
internal interface IConsumerGauges
{
    /// <summary>The consumer's tags, the same on every series of the consumer (the engine's too).</summary>
    KeyValuePair<string, object?>[] Tags { get; }

    /// <summary>
    /// Each <c>tmq.outcome</c> value its engine reports (<see cref="Dispatch.DispatchEngine.Outcomes"/>)
    /// with how many messages ended so since the consumer started.
    /// </summary>
    IEnumerable<(string Outcome, long Total)> OutcomeTotals();

    /// <summary>The <c>tmq.rebalance</c> values it reports; none for a transport without rebalances.</summary>
    IReadOnlyList<string> Rebalances { get; }

    long InFlight { get; }

    long Buffered { get; }

    bool Paused { get; }

    IEnumerable<(int Partition, long Lag)> Lag();

    /// <summary>Messages waiting for the consumer on each server (NSQ: the channel's depth per nsqd); none where the broker has partitions and lag instead.</summary>
    IEnumerable<(string Server, long Depth)> Depth() => [];
}
