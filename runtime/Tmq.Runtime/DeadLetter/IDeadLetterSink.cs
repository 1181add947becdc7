namespace Tmq;

/// <summary>
/// Writes exhausted and permanently failed messages to a dead-letter destination. Transports
/// implement it (Kafka: <c>&lt;topic&gt;.dlq</c> with <c>tmq-dlq-*</c> headers; NSQ: an envelope).
/// </summary>
/// <remarks>
/// Called on a thread-pool thread, possibly concurrently for different messages. The returned
/// task must complete only when the destination has acknowledged the write: the original message
/// becomes committable at that moment. A thrown exception means "not written": the runtime logs
/// it, waits <see cref="DeadLetterOptions.RetryDelay"/> (doubling) and calls again, keeping the
/// original uncommitted. The token fires on shutdown or revoke.
/// </remarks>
public interface IDeadLetterSink
{
    /// <summary>Writes <paramref name="record"/> and completes once it is acknowledged.</summary>
    Task WriteAsync(DeadLetterRecord record, CancellationToken cancellationToken);
}
