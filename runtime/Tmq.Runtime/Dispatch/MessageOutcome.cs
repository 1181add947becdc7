namespace Tmq.Dispatch;

/// <summary>The final outcome of a message in this process.</summary>
internal enum MessageOutcome
{
    /// <summary>The handler returned.</summary>
    Handled,

    /// <summary>The dead-letter write was acknowledged.</summary>
    DeadLettered,

    /// <summary>Handed back to the broker for a later redelivery (NSQ REQ).</summary>
    Requeued,
}
