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

    /// <summary><see cref="KeyTable.Hash"/> of <see cref="Key"/>, kept so that a release finds its bucket without hashing again.</summary>
    public int Hash;

    /// <summary>The next key of the same <see cref="KeyTable"/> bucket, or of its pool of released keys.</summary>
    public KeyState? Next;
}
