namespace Tmq.Dispatch;

/// <summary>
/// One ordering key with work in the engine: the message that holds it (ready, running, waiting
/// for a retry or parked) and the messages queued behind it in log order.
/// </summary>
internal sealed class KeyState
{
    public ReadOnlyMemory<byte> Key;
    public TmqMessage? Holder;
    public MessageList Waiting;

    /// <summary>False for a partition's own key, which lives as long as the partition.</summary>
    public bool Pooled;
}
