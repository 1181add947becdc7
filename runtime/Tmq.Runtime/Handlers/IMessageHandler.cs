namespace Tmq;

/// <summary>
/// The business code of a consumer service: called once per delivery of a message.
/// </summary>
/// <remarks>
/// <para>Return (complete the task) = the message is done and may be committed.</para>
/// <para>Throw = failure: the retry policy retries it in place with backoff, keeping its key's order,
/// and dead-letters it when attempts run out. Throw <see cref="PermanentFailureException"/> (or a
/// type listed in <c>Retry:PermanentExceptions</c>) to skip the retries and dead-letter at once.</para>
/// <para>Runs on a thread-pool thread, concurrently for different keys, never concurrently for one key
/// (in <c>Key</c> ordering). The token fires on shutdown, on partition revoke once the drain timeout has
/// passed, and when NSQ can no longer extend the message's timeout; a handler that stops on it has its
/// message redelivered later, not dead-lettered.</para>
/// </remarks>
public interface IMessageHandler
{
    /// <summary>Handles one delivery of <paramref name="message"/>.</summary>
    Task HandleAsync(TmqMessage message, CancellationToken cancellationToken);
}

/// <summary>
/// A handler that receives the payload deserialized from JSON (System.Text.Json, web defaults).
/// A payload that does not deserialize is a permanent failure: it is dead-lettered, never retried.
/// </summary>
/// <typeparam name="T">The payload type.</typeparam>
public interface IMessageHandler<in T>
{
    /// <summary>Handles one delivery; <paramref name="message"/> carries key, headers and position.</summary>
    Task HandleAsync(T payload, TmqMessage message, CancellationToken cancellationToken);
}
