namespace Tmq.Dispatch;

/// <summary>Where a message is in the engine. Only the engine, under its lock, changes it.</summary>
internal enum MessageState : byte
{
    /// <summary>Waiting behind an earlier message of the same key (in that key's list).</summary>
    Waiting,

    /// <summary>Free to run: in the ready list.</summary>
    Ready,

    /// <summary>A worker is running its handler or dead-letter write.</summary>
    Running,

    /// <summary>Failed; a timer will make it ready again. Holds its key.</summary>
    RetryWait,

    /// <summary>Its partition is stopped (Stop policy); holds its key, never runs again in this process.</summary>
    Parked,

    /// <summary>Final outcome reached (handled, dead-lettered, or handed back to the broker).</summary>
    Finished,

    /// <summary>Removed unfinished (revoke, loss, shutdown): the broker redelivers it.</summary>
    Dropped,
}
