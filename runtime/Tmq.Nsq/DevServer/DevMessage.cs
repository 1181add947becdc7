namespace Tmq.Nsq.DevServer;

/// <summary>
/// One message in one topic or channel. Each channel holds its own copy (sharing id, body and
/// timestamp) because attempts and the in-flight state are per channel, as in nsqd.
/// </summary>
/// <remarks>Guarded by <see cref="DevBroker.Gate"/>, except the immutable id, body and timestamp.</remarks>
internal sealed class DevMessage
{
    public DevMessage(string id, byte[] idBytes, byte[] body, long timestampNanoseconds, TimeSpan defer)
    {
        Id = id;
        IdBytes = idBytes;
        Body = body;
        TimestampNanoseconds = timestampNanoseconds;
        Defer = defer;
    }

    /// <summary>16 lowercase hex characters; FIN, REQ and TOUCH name it.</summary>
    public string Id { get; }

    /// <summary><see cref="Id"/> as the ASCII bytes written into message frames.</summary>
    public byte[] IdBytes { get; }

    public byte[] Body { get; }

    /// <summary>When it was published, Unix nanoseconds from the broker's time provider.</summary>
    public long TimestampNanoseconds { get; }

    /// <summary>The DPUB delay, applied when the message reaches a channel (zero: none).</summary>
    public TimeSpan Defer { get; private set; }

    /// <summary>Deliveries so far; the next delivery sends this plus one. Wraps like nsqd's uint16.</summary>
    public ushort Attempts { get; set; }

    /// <summary>While in flight: the client it was delivered to.</summary>
    public long ClientId { get; set; }

    /// <summary>While in flight: when it was delivered (TOUCH never extends past this plus max_msg_timeout).</summary>
    public DateTimeOffset DeliveredAt { get; set; }

    /// <summary>While in flight: when it times out and is requeued.</summary>
    public DateTimeOffset Deadline { get; set; }

    /// <summary>A copy for one more channel: same id, body and timestamp, no attempts yet.</summary>
    public DevMessage CopyForChannel() => new(Id, IdBytes, Body, TimestampNanoseconds, Defer);

    /// <summary>The DPUB delay is used once, when a channel receives the message.</summary>
    public TimeSpan TakeDefer()
    {
        var defer = Defer;
        Defer = TimeSpan.Zero;
        return defer;
    }
}
