using System.Runtime.InteropServices;
using System.Text;
using Tmq.Dispatch;
using Tmq.Nsq.Connection;
using Tmq.Nsq.Protocol;

namespace Tmq.Nsq.Consumer;

/// <summary>
/// One connection's life, from SUB to close: its engine partition, the messages nsqd has in flight
/// on it, and their TOUCH schedule. A reconnect is a new session, so a late FIN of the old one
/// never reaches the new connection (nsqd would refuse it anyway: message ids are per connection).
/// </summary>
internal sealed class NsqdSession : INsqConnectionHandler, IDisposable
{
    private readonly NsqConsumer _owner;
    private readonly Lock _gate = new();
    private readonly Dictionary<long, InFlight> _inFlight = [];
    private readonly TaskCompletionSource<Frame> _subscribed = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TaskCompletionSource<Exception?> _closed = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TaskCompletionSource _closeWait = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private ExpiryTokens? _expiry;
    private ITimer? _touchTimer;
    private long _nextOffset;

    public NsqdSession(NsqConsumer owner, NsqdSlot slot)
    {
        _owner = owner;
        Slot = slot;
    }

    public NsqdSlot Slot { get; }

    public NsqConnection? Connection { get; set; }

    /// <summary>The engine's handle for this connection; set once SUB succeeded.</summary>
    public PartitionState? Partition { get; private set; }

    /// <summary>Completes with nsqd's answer to SUB.</summary>
    public Task<Frame> Subscribed => _subscribed.Task;

    /// <summary>Completes when the connection has closed, with its error (null when closed on purpose).</summary>
    public Task<Exception?> Closed => _closed.Task;

    /// <summary>SUB succeeded: messages may now flow into <paramref name="partition"/>.</summary>
    public void Open(PartitionState partition, TimeProvider time)
    {
        var negotiated = Connection!.Negotiated;
        partition.Tag = this;
        _expiry = new ExpiryTokens(time, negotiated.MaxMsgTimeout - ExpiryMargin(negotiated), partition.Token);
        var period = negotiated.MsgTimeout / 3;
        _touchTimer = time.CreateTimer(static s => ((NsqdSession)s!).TouchDue(), this, period, period);
        Partition = partition;
    }

    /// <summary>How long before nsqd's final timeout a handler's token fires: a moment to observe it before nsqd gives the message away.</summary>
    private static TimeSpan ExpiryMargin(IdentifyResponse negotiated) =>
        TimeSpan.FromTicks(Math.Min(TimeSpan.FromSeconds(1).Ticks, negotiated.MsgTimeout.Ticks / 10));

    public void OnMessage(NsqConnection connection, NsqMessageFrame message)
    {
        if (Partition is not { } partition)
        {
            throw new NsqProtocolException($"nsqd at {connection.Address} sent a message before it answered SUB.");
        }

        _owner.Deliver(this, partition, message);
    }

    public void OnResponse(NsqConnection connection, Frame frame)
    {
        if (frame.IsCloseWait)
        {
            _closeWait.TrySetResult();
            return;
        }

        if (!_subscribed.Task.IsCompleted)
        {
            _subscribed.TrySetResult(frame);
        }
    }

    public void OnClosed(NsqConnection connection, Exception? error)
    {
        _subscribed.TrySetException(error ?? new IOException($"nsqd at {connection.Address} closed the connection before it answered SUB."));
        _closed.TrySetResult(error);
        _closeWait.TrySetResult();
    }

    /// <summary>
    /// Shutdown's goodbye after CLS: waits (within <paramref name="timeout"/>) for CLOSE_WAIT, after
    /// which nsqd sends nothing more, so every message it sent before has been handed back; then
    /// writes what is queued (those REQs, the last FINs) and closes.
    /// </summary>
    public async Task CloseAsync(TimeSpan timeout, TimeProvider time)
    {
        if (Connection is not { } connection)
        {
            return;
        }

        try
        {
            await _closeWait.Task.WaitAsync(timeout, time).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
            // nsqd did not answer CLS: close regardless; what it still holds times out there.
        }

        await connection.CloseAfterFlushAsync(timeout).ConfigureAwait(false);
    }

    /// <summary>Records a delivered message. Read loop only.</summary>
    public TmqMessage Track(NsqMessageFrame frame, ReadOnlyMemory<byte> key, TmqHeaders headers, ReadOnlyMemory<byte> body, string topic, long now)
    {
        var offset = _nextOffset++;
        var message = new TmqMessage(topic, key, body)
        {
            MessageId = frame.IdString,
            Offset = offset,
            Headers = headers,
            Timestamp = frame.Timestamp,
        };
        message.Attempt = frame.Attempts;
        lock (_gate)
        {
            message.HandlerToken = _expiry!.TokenFor(now);
            _inFlight[offset] = new InFlight(message, now, now);
        }

        return message;
    }

    /// <summary>FIN (<paramref name="delayMilliseconds"/> null) or REQ the message and forget it.</summary>
    public void Settle(TmqMessage message, long? delayMilliseconds)
    {
        lock (_gate)
        {
            if (!_inFlight.Remove(message.Offset))
            {
                return;
            }
        }

        Span<byte> id = stackalloc byte[NsqWire.MessageIdBytes];
        Encoding.ASCII.GetBytes(message.MessageId, id);
        var connection = Connection;
        if (delayMilliseconds is { } delay)
        {
            connection?.Requeue(id, delay);
        }
        else
        {
            connection?.Finish(id);
        }
    }

    /// <summary>Whether the message can stay in flight (TOUCHed) for <paramref name="delay"/> more: nsqd keeps it at most max_msg_timeout after delivery.</summary>
    public bool CanHold(TmqMessage message, TimeSpan delay, TimeProvider time)
    {
        lock (_gate)
        {
            if (!_inFlight.TryGetValue(message.Offset, out var entry) || Connection is not { } connection)
            {
                return false;
            }

            var held = time.GetElapsedTime(entry.Delivered) + delay;
            return held + connection.Negotiated.MsgTimeout / 3 < connection.Negotiated.MaxMsgTimeout;
        }
    }

    /// <summary>TOUCHes every message in flight that was last touched a third of msg_timeout ago, while nsqd still lets it.</summary>
    private void TouchDue()
    {
        if (Connection is not { IsClosed: false } connection)
        {
            return;
        }

        var time = _owner.TimeProvider;
        var now = time.GetTimestamp();
        var stale = connection.Negotiated.MsgTimeout / 3;
        var max = connection.Negotiated.MaxMsgTimeout;
        Span<byte> id = stackalloc byte[NsqWire.MessageIdBytes];
        lock (_gate)
        {
            foreach (var offset in _inFlight.Keys)
            {
                ref var entry = ref CollectionsMarshal.GetValueRefOrNullRef(_inFlight, offset);
                if (time.GetElapsedTime(entry.Touched, now) >= stale && time.GetElapsedTime(entry.Delivered, now) < max)
                {
                    Encoding.ASCII.GetBytes(entry.Message.MessageId, id);
                    connection.Touch(id);
                    entry.Touched = now;
                }
            }
        }
    }

    public void Dispose()
    {
        _touchTimer?.Dispose();
        lock (_gate)
        {
            _expiry?.Dispose();
            _inFlight.Clear();
        }
    }

    private record struct InFlight(TmqMessage Message, long Delivered, long Touched);
}
