namespace Tmq.Nsq;

/// <summary>
/// The counts of one channel of a <see cref="DevNsqd"/> at one moment, as nsqd's <c>/stats</c>
/// reports them. For tests: poll until the count you expect shows.
/// </summary>
public sealed class DevNsqdChannelStats
{
    /// <summary>Messages waiting to be delivered (requeued ones included, deferred ones not). <value>Defaults to 0.</value></summary>
    public long Depth { get; init; }

    /// <summary>Messages delivered and not yet finished, requeued or timed out. <value>Defaults to 0.</value></summary>
    public int InFlightCount { get; init; }

    /// <summary>Messages waiting for a DPUB or REQ delay to pass. <value>Defaults to 0.</value></summary>
    public int DeferredCount { get; init; }

    /// <summary>Messages the channel received from its topic, since it was created. <value>Defaults to 0.</value></summary>
    public long MessageCount { get; init; }

    /// <summary>REQ commands that succeeded. <value>Defaults to 0.</value></summary>
    public long RequeueCount { get; init; }

    /// <summary>Deliveries that reached their msg_timeout unfinished and were requeued. <value>Defaults to 0.</value></summary>
    public long TimeoutCount { get; init; }

    /// <summary>Connections subscribed to the channel. <value>Defaults to 0.</value></summary>
    public int ClientCount { get; init; }

    /// <summary>Whether <c>/channel/pause</c> stopped deliveries. <value>Defaults to false.</value></summary>
    public bool Paused { get; init; }

    /// <inheritdoc />
    public override string ToString() =>
        $"depth {Depth}, in-flight {InFlightCount}, deferred {DeferredCount}, messages {MessageCount}, requeued {RequeueCount}, timed out {TimeoutCount}, clients {ClientCount}{(Paused ? ", paused" : string.Empty)}";
}

/// <summary>The counts of one topic of a <see cref="DevNsqd"/> at one moment.</summary>
public sealed class DevNsqdTopicStats
{
    /// <summary>Messages the topic holds because it has no channel yet (or is paused). <value>Defaults to 0.</value></summary>
    public long Depth { get; init; }

    /// <summary>Messages published to the topic since it was created. <value>Defaults to 0.</value></summary>
    public long MessageCount { get; init; }

    /// <summary>The topic's channels, in ordinal order of their names. <value>Defaults to empty.</value></summary>
    public IReadOnlyList<string> Channels { get; init; } = [];

    /// <summary>Whether <c>/topic/pause</c> stopped the topic handing messages to its channels. <value>Defaults to false.</value></summary>
    public bool Paused { get; init; }

    /// <inheritdoc />
    public override string ToString() =>
        $"depth {Depth}, messages {MessageCount}, channels [{string.Join(", ", Channels)}]{(Paused ? ", paused" : string.Empty)}";
}
