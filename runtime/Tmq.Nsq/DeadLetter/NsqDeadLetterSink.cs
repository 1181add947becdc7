using Tmq.Nsq.Consumer;
using Tmq.Nsq.Envelope;

namespace Tmq.Nsq.DeadLetter;

/// <summary>
/// Writes dead letters to an NSQ topic (<see cref="DeadLetterRecord.Destination"/>, normally
/// <c>&lt;topic&gt;.dlq</c>) as a TMQ envelope: the original key and body, the original headers,
/// then one <c>tmq-dlq-*</c> header for each field of <see cref="DeadLetterHeaders"/>, as Kafka's
/// dead letters carry them. Always an envelope, whatever the producer's Envelope option: the
/// metadata has nowhere else to go. <c>tmqtool tail</c> and <c>dlq replay</c> read it.
/// </summary>
/// <remarks>
/// It goes to the nsqd the message came from first (it just answered), then to the consumer's other
/// nsqd. <see cref="WriteAsync"/> completes only on nsqd's OK, and the original is FINed only then.
/// </remarks>
internal sealed class NsqDeadLetterSink(NsqProducer producer, int maxMessageBytes) : IDeadLetterSink
{
    public async Task WriteAsync(DeadLetterRecord record, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(record);
        var envelope = Envelope(record, withDetails: true);
        if (envelope.Length > maxMessageBytes)
        {
            // A message near nsqd's --max-msg-size has no room for the stack trace: the metadata
            // that says where it came from stays, the exception's message and stack go.
            envelope = Envelope(record, withDetails: false);
        }

        if (envelope.Length > maxMessageBytes)
        {
            throw new TmqProduceException(
                $"The dead letter of {record.Message.Topic} message {record.Message.MessageId} is {envelope.Length} bytes with its envelope, over nsqd's --max-msg-size (Nsq:MaxMessageBytes, {maxMessageBytes}); "
                + "raise both for the dead-letter topic's nsqd. The original stays in flight until then.",
                record.Destination,
                "E_BAD_MESSAGE",
                isTransient: false,
                mayHaveBeenWritten: false,
                null);
        }

        var source = record.Message.Owner?.Tag is NsqdSession session ? session.Slot.Address : (NsqAddress?)null;
        await producer.PublishToAsync(source, record.Destination, envelope, cancellationToken).ConfigureAwait(false);
    }

    private static byte[] Envelope(DeadLetterRecord record, bool withDetails)
    {
        var original = record.Message;
        var headers = new TmqHeaders();
        foreach (var header in original.Headers)
        {
            headers.Add(header.Name, header.Value);
        }

        foreach (var (name, value) in record.Metadata())
        {
            if (withDetails || name is not (DeadLetterHeaders.Stack or DeadLetterHeaders.ExceptionMessage))
            {
                headers.Add(name, value);
            }
        }

        return TmqEnvelope.Wrap(original.Key.Span, headers, original.Value.Span);
    }
}
