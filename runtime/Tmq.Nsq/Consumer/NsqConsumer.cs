using System.Diagnostics;
using Microsoft.Extensions.Logging;
using Tmq.Dispatch;
using Tmq.Nsq.Envelope;
using Tmq.Nsq.Protocol;
using Tmq.Telemetry;

namespace Tmq.Nsq.Consumer;

/// <summary>
/// Reads one topic and channel from every nsqd it finds and drives the dispatch engine with it.
/// </summary>
/// <remarks>
/// <para><b>Threads.</b> Each connection's read loop delivers its own messages (<see cref="Deliver"/>);
/// enqueueing into the engine is serialised by <see cref="_enqueueGate"/>, so the engine sees one
/// enqueuer at a time and each connection's messages in the order nsqd sent them. Workers settle
/// messages through <see cref="IDispatchTransport"/>, which sends FIN or REQ on the message's own
/// connection. RDY is computed under <see cref="_readyGate"/> by whoever changes what it depends on
/// (a connection opening or closing, capacity, Paused, the rotation timer).</para>
/// <para><b>Flow.</b> The sum of RDY never exceeds MaxInFlight, so nsqd never has more in flight to
/// this consumer than that; when the engine's buffer fills (a slow or retrying key holding messages)
/// every RDY goes to 0 until it drains to half.</para>
/// </remarks>
internal sealed partial class NsqConsumer : IDispatchTransport, IConsumerGauges, IAsyncDisposable
{
    private readonly NsqConsumerSetup _settings;
    private readonly string _name;
    private readonly string _topic;
    private readonly ILogger _logger;
    private readonly Lock _enqueueGate = new();
    private readonly Queue<(NsqdSession Session, PartitionState Partition, TmqMessage Message)> _overflow = new();
    private readonly CancellationTokenSource _stopping = new();
    private readonly KeyValuePair<string, object?>[] _tags;
    private DispatchEngine? _engine;
    private volatile bool _full;
    private volatile bool _stopRequested;

    public NsqConsumer(NsqConsumerSetup settings)
    {
        _settings = settings;
        _name = settings.Name;
        _topic = settings.Options.Topic;
        _logger = settings.Logger;
        _tags =
        [
            new("tmq.consumer", _name),
            new("messaging.destination.name", _topic),
            new("messaging.consumer.group.name", settings.Channel),
            new("messaging.system", "nsq"),
        ];
    }

    public TimeProvider TimeProvider => _settings.TimeProvider;

    public KeyValuePair<string, object?>[] Tags => _tags;

    public IEnumerable<(string Outcome, long Total)> OutcomeTotals() => _engine?.OutcomeTotals() ?? [];

    /// <summary>None: a channel has no assignment to rebalance; nsqd spreads its messages over every connection.</summary>
    public IReadOnlyList<string> Rebalances => [];

    public long InFlight => _engine?.Running ?? 0;

    public long Buffered => _engine?.Buffered ?? 0;

    public bool Paused => _full || _settings.Status.Paused || _settings.Status.HasStoppedPartitions;

    // Completes when StopAsync has finished: a second call waits for the first.
    private readonly TaskCompletionSource _completion = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>NSQ has no partitions to lag behind: see <see cref="Depth"/>, read from nsqd's <c>/stats</c>.</summary>
    public IEnumerable<(int Partition, long Lag)> Lag() => [];

    /// <summary>Decides, for a failed message, whether its retry is a REQ (true) or waits in place holding its key (false).</summary>
    public bool RequeueRetry(TmqMessage message, TimeSpan delay)
    {
        BackOff(delay);
        if (_settings.Options.Ordering != OrderingMode.Key || message.Key.IsEmpty)
        {
            return true;
        }

        if (message.Owner?.Tag is NsqdSession session && session.CanHold(message, delay, TimeProvider))
        {
            return false;
        }

        NsqConsumerLog.KeyOrderGivenUp(_logger, _name, message.MessageId ?? "?", message.KeyAsString(), delay.TotalSeconds);
        return true;
    }

    /// <summary>A message arrived on <paramref name="session"/>. That connection's read loop only.</summary>
    internal void Deliver(NsqdSession session, PartitionState partition, NsqMessageFrame frame)
    {
        var body = frame.Body;
        var key = ReadOnlyMemory<byte>.Empty;
        var headers = TmqHeaders.Empty;
        if (TmqEnvelope.TryUnwrap(body, out var envelopeKey, out var envelopeHeaders, out var envelopeBody))
        {
            key = envelopeKey;
            headers = envelopeHeaders;
            body = envelopeBody;
        }

        var message = session.Track(frame, key, headers, body, _topic, TimeProvider.GetTimestamp());
        if (_settings.Metrics.Consumed.Enabled)
        {
            _settings.Metrics.Consumed.Add(1, new TagList(_tags.AsSpan()));
        }

        var engine = _engine!;
        bool filled;
        lock (_enqueueGate)
        {
            // _stopRequested is set under this lock too, so a message either enters the engine
            // before its shutdown closes the partitions, or is handed back here.
            if (partition.Closing || _stopRequested)
            {
                session.Settle(message, 0);
                return;
            }

            if (_overflow.Count == 0 && engine.HasCapacityFor(partition))
            {
                engine.Enqueue(partition, message);
            }
            else
            {
                // RDY moved between connections while messages of the old RDY were on the way: the
                // buffer holds them until it has room (at most the difference of the two RDY).
                _overflow.Enqueue((session, partition, message));
            }

            // Decided under the lock that OnCapacityAvailable takes too: set outside it, a capacity
            // signal in between would be lost and RDY would stay 0 for good.
            filled = !engine.HasCapacity && !_full;
            _full |= filled;
        }

        if (filled)
        {
            UpdateReady();
        }
    }

    /// <summary>Moves held messages into the engine while it has room. Under <see cref="_enqueueGate"/>.</summary>
    private void DrainOverflowLocked(DispatchEngine engine)
    {
        while (_overflow.TryPeek(out var held))
        {
            if (held.Partition.Closing || _stopRequested)
            {
                _overflow.Dequeue();
                held.Session.Settle(held.Message, 0);
                continue;
            }

            if (!engine.HasCapacityFor(held.Partition))
            {
                return;
            }

            _overflow.Dequeue();
            engine.Enqueue(held.Partition, held.Message);
        }
    }
}
