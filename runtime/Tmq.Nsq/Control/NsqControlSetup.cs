using Microsoft.Extensions.Logging;
using Tmq.Nsq.Connection;
using Tmq.Nsq.Protocol;

namespace Tmq.Nsq.Control;

/// <summary>What every <see cref="NsqControlSubscription"/> of one control reader shares.</summary>
internal sealed class NsqControlSetup
{
    public required string Topic { get; init; }

    /// <summary>This instance's ephemeral channel.</summary>
    public required string Channel { get; init; }

    public required NsqControlSettings Settings { get; init; }

    public required NsqConnectionSettings Connection { get; init; }

    public required ILogger Logger { get; init; }

    public required TimeProvider TimeProvider { get; init; }

    /// <summary>Jitter source, uniform in [0, 1).</summary>
    public required Func<double> Random { get; init; }

    /// <summary>Takes a message off a connection's read loop; it must not block.</summary>
    public required Action<NsqConnection, NsqMessageFrame> Deliver { get; init; }

    /// <summary>A connection dropped: its nsqd may have left lookupd, or another come.</summary>
    public required Action Repoll { get; init; }

    /// <summary>The subscription gave up an nsqd that no lookupd lists any more.</summary>
    public required Action<NsqControlSubscription> Left { get; init; }
}
