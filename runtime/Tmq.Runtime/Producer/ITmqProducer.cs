namespace Tmq;

/// <summary>
/// Sends messages and reports when the broker has acknowledged them, on Kafka or NSQ alike: a
/// handler that publishes compiles unchanged on either. Obtain one from dependency injection
/// (<c>AddTmqKafkaProducer</c> or <c>AddTmqNsqProducer</c>); string and JSON overloads are in
/// <see cref="TmqProducerExtensions"/>.
/// </summary>
/// <remarks>
/// Thread-safe: one instance serves the whole process and batches concurrent sends together.
/// When <see cref="System.Diagnostics.Activity.Current"/> is set and the caller did not put a
/// <c>traceparent</c> header on the message, the W3C <c>traceparent</c> (and <c>tracestate</c>)
/// of the current trace is added, so a consumer continues the trace.
/// </remarks>
public interface ITmqProducer
{
    /// <summary>Sends one message and completes when the broker has acknowledged it.</summary>
    /// <param name="topic">The destination topic.</param>
    /// <param name="key">The key. Kafka: picks the partition (same key, same partition, same order). NSQ: carried in
/// the TMQ envelope when the producer writes one, for the consumer's key ordering; dropped otherwise. Empty for none.</param>
    /// <param name="value">The payload.</param>
    /// <param name="headers">Headers to send; not modified. <value>Defaults to none.</value></param>
    /// <param name="cancellationToken">Stops waiting. A message already handed to the client may still be delivered.</param>
    /// <returns>Where the message was written (on NSQ: the topic, partition 0, offset -1).</returns>
    /// <exception cref="TmqProduceException">The broker did not accept the message, or it was not acknowledged in time.</exception>
    Task<TmqDeliveryResult> SendAsync(
        string topic,
        ReadOnlyMemory<byte> key,
        ReadOnlyMemory<byte> value,
        TmqHeaders? headers = null,
        CancellationToken cancellationToken = default);
}
