namespace Tmq.Kafka;

/// <summary>
/// Writes dead letters to a Kafka topic (<see cref="DeadLetterRecord.Destination"/>, normally
/// <c>&lt;topic&gt;.dlq</c>): the original key, value and headers plus the <c>tmq-dlq-*</c>
/// headers of <see cref="DeadLetterHeaders"/>.
/// </summary>
/// <remarks>
/// <see cref="WriteAsync"/> completes only when the broker has acknowledged the write with the
/// producer's <c>acks=all</c>; any failure throws <see cref="TmqProduceException"/>, and the engine
/// retries with backoff while the original stays uncommitted. The producer is shared, not owned:
/// whoever created it disposes it, after the consumers that use this sink have stopped.
/// </remarks>
internal sealed class KafkaDeadLetterSink : IDeadLetterSink
{
    private readonly KafkaProducer _producer;

    public KafkaDeadLetterSink(KafkaProducer producer)
    {
        ArgumentNullException.ThrowIfNull(producer);
        _producer = producer;
    }

    /// <inheritdoc />
    public async Task WriteAsync(DeadLetterRecord record, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(record);
        var message = DeadLetterMessage.Build(record);
        await _producer.ProduceAsync(record.Destination, message, cancellationToken).ConfigureAwait(false);
    }
}
