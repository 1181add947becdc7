using System.Globalization;
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
        Add(headers, DeadLetterHeaders.OriginalTopic, original.Topic);
        Add(headers, DeadLetterHeaders.OriginalPartition, Decimal(original.Partition));
        Add(headers, DeadLetterHeaders.OriginalOffset, original.MessageId ?? Decimal(original.Offset));
        Add(headers, DeadLetterHeaders.OriginalTimestamp, Decimal(UnixMilliseconds(original.Timestamp)));
        Add(headers, DeadLetterHeaders.Group, record.Group ?? string.Empty);
        Add(headers, DeadLetterHeaders.Attempts, Decimal(record.Attempts));
        Add(headers, DeadLetterHeaders.ExceptionType, record.Exception.GetType().FullName ?? record.Exception.GetType().Name);
        Add(headers, DeadLetterHeaders.ExceptionMessage, DeadLetterHeaders.Truncate(record.Exception.Message, DeadLetterHeaders.MaxMessageLength));
        Add(headers, DeadLetterHeaders.Stack, DeadLetterHeaders.Truncate(record.Exception.StackTrace, DeadLetterHeaders.MaxStackLength));
        Add(headers, DeadLetterHeaders.FailedAt, record.FailedAt.UtcDateTime.ToString("O", CultureInfo.InvariantCulture));

        return new Message<byte[]?, byte[]?>
        {
            Key = original.Key.IsEmpty ? null : KafkaProducer.AsArray(original.Key),
            Value = KafkaProducer.AsArray(original.Value),
            Headers = headers,
        };
    }

    /// <summary>Unix milliseconds; -1 (Kafka's "no timestamp") when the original had none.</summary>
    internal static long UnixMilliseconds(DateTimeOffset timestamp) =>
        timestamp == DateTimeOffset.MinValue ? -1 : timestamp.ToUnixTimeMilliseconds();

    private static string Decimal(long value) => value.ToString(CultureInfo.InvariantCulture);

    private static void Add(Headers headers, string name, string value) => headers.Add(name, Encoding.UTF8.GetBytes(value));
}
