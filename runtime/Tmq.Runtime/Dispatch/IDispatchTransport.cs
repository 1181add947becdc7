namespace Tmq.Dispatch;

/// <summary>
/// What the engine tells its transport. Every call is made outside the engine's lock, from a
/// worker or timer thread, never from the transport's own fetch thread unless that thread is the
/// caller; implementations must be thread-safe, quick, and must not call back into the engine
/// synchronously in a way that waits for a worker.
/// </summary>
internal interface IDispatchTransport
{
    /// <summary>Buffered messages fell to the low-water mark after <see cref="DispatchEngine.HasCapacity"/> was false: fetching may resume.</summary>
    void OnCapacityAvailable();

    /// <summary>
    /// A message reached its final outcome (NSQ sends FIN or REQ here; Kafka commits positions instead).
    /// <paramref name="requeueDelay"/> is meaningful for <see cref="MessageOutcome.Requeued"/> only.
    /// </summary>
    void OnSettled(PartitionState partition, TmqMessage message, MessageOutcome outcome, TimeSpan requeueDelay);

    /// <summary>The Stop policy halted <paramref name="partition"/>: stop fetching it.</summary>
    void OnPartitionStopped(PartitionState partition);

    /// <summary>
    /// A message left the engine unfinished: dropped by a revoke, a loss or a shutdown before it ran,
    /// cancelled by a drain, or retried on a closing partition. Kafka needs nothing here (the position
    /// never passes it, so it is redelivered); NSQ hands it back at once (REQ 0), as nsqd would
    /// otherwise hold it until its timeout.
    /// </summary>
    void OnDropped(PartitionState partition, TmqMessage message)
    {
    }
}
