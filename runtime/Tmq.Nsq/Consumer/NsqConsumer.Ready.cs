namespace Tmq.Nsq.Consumer;

// RDY: how many messages each connection may have in flight.
internal sealed partial class NsqConsumer
{
    private readonly Lock _readyGate = new();
    private int _rotation;
    private ITimer? _rotationTimer;

    /// <summary>
    /// The most messages in flight over all connections: MaxInFlight, but never more than the engine
    /// buffers (MaxBufferedMessages), so that everything nsqd sends has a place.
    /// </summary>
    private int MaxInFlight => Math.Max(1, Math.Min(_settings.Options.Nsq.MaxInFlight, _settings.Options.MaxBufferedMessages));

    /// <summary>Recomputes every connection's RDY and sends the ones that changed. Any thread.</summary>
    internal void UpdateReady()
    {
        lock (_readyGate)
        {
            var open = Slots().Where(static s => s.Session is { Partition: not null, Connection.IsClosed: false }).OrderBy(static s => s.Id).ToArray();
            var halted = _stopRequested || _full || _settings.LiveOptions().Paused || _settings.Status.HasStoppedPartitions;
            var limits = open.Select(static s => s.Session!.Connection!.Negotiated.MaxRdyCount).ToArray();
            var targets = halted ? new long[open.Length] : Distribute(BackoffLimit ?? MaxInFlight, limits, _rotation);
            for (var i = 0; i < open.Length; i++)
            {
                var slot = open[i];
                if (slot.Ready != targets[i] && slot.Session!.Connection!.Ready(targets[i]))
                {
                    slot.Ready = targets[i];
                }
            }
        }
    }

    /// <summary>
    /// Splits <paramref name="maxInFlight"/> over connections whose nsqd allow at most
    /// <paramref name="limits"/> each. Each gets the quotient and <paramref name="rotation"/> picks
    /// which get one more from the remainder (none of it is lost, unlike go-nsq #378). With fewer
    /// messages than connections, the <paramref name="maxInFlight"/> connections from
    /// <paramref name="rotation"/> on get 1 and the rest 0; rotating moves them on, so no nsqd starves
    /// (go-nsq #179, nsqjs #242). The sum never exceeds <paramref name="maxInFlight"/>.
    /// </summary>
    internal static long[] Distribute(int maxInFlight, IReadOnlyList<int> limits, int rotation)
    {
        var count = limits.Count;
        var targets = new long[count];
        if (count == 0)
        {
            return targets;
        }

        var share = maxInFlight / count;
        var extra = maxInFlight % count;
        var start = (int)((uint)rotation % (uint)count);
        for (var i = 0; i < count; i++)
        {
            targets[i] = share;
        }

        for (var j = 0; j < extra; j++)
        {
            targets[(start + j) % count]++;
        }

        for (var i = 0; i < count; i++)
        {
            targets[i] = Math.Min(targets[i], Math.Max(0, limits[i]));
        }

        return targets;
    }

    /// <summary>Every few seconds the remainder (or, below one per connection, the RDY itself) moves on.</summary>
    private void Rotate()
    {
        int count;
        lock (_readyGate)
        {
            count = Slots().Count(static s => s.Session is { Partition: not null });
            var limit = BackoffLimit ?? MaxInFlight;
            if (count == 0 || limit == 0 || limit % count == 0)
            {
                return;
            }

            _rotation = (_rotation + (limit % count)) % count;
        }

        UpdateReady();
    }
}
