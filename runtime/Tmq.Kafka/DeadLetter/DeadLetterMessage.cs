using System.Text;
using Confluent.Kafka;

namespace Tmq.Kafka;

/// <summary>Builds the Kafka message written to the dead-letter topic.</summary>
internal static class DeadLetterMessage
{
    /// <summary>
    /// The original key, value and headers, unchanged and in order, followed by one
    /// <c>tmq-dlq-*</c> header for each field of <see cref="DeadLetterHeaders"/>. A message that
    /// is dead-lettered again (e.g. after a replay) keeps its earlier <c>tmq-dlq-*</c> headers;
    /// the new ones come last, which is the occurrence header lookups return.
    /// </summary>
    public static Message<byte[]?, byte[]?> Build(DeadLetterRecord record)
    {
        var original = record.Message;
        var headers = KafkaProducer.ToKafkaHeaders(original.Headers);
        foreach (var (name, value) in record.Metadata())
        {
            headers.Add(name, Encoding.UTF8.GetBytes(value));
        }

        return new Message<byte[]?, byte[]?>
        {
            Key = original.Key.IsEmpty ? null : KafkaProducer.AsArray(original.Key),
            Value = KafkaProducer.AsArray(original.Value),
            Headers = headers,
        };
    }
}
