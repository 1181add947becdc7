using System.Globalization;

namespace Tmq;

/// <summary>A message on its way to the dead-letter destination, with why it got there.</summary>
public sealed class DeadLetterRecord
{
    internal DeadLetterRecord(TmqMessage message, string destination, string? group, Exception exception, DateTimeOffset failedAt)
    {
        Message = message;
        Destination = destination;
        Group = group;
        Exception = exception;
        FailedAt = failedAt;
        Attempts = message.Attempt;
    }

    /// <summary>The original message: key, value and headers are written unchanged.</summary>
    public TmqMessage Message { get; }

    /// <summary>The dead-letter topic.</summary>
    public string Destination { get; }

    /// <summary>The consumer group or NSQ channel that gave up on the message.</summary>
    public string? Group { get; }

    /// <summary>How many deliveries were made.</summary>
    public int Attempts { get; }

    /// <summary>The last failure.</summary>
    public Exception Exception { get; }

    /// <summary>When the runtime gave up.</summary>
    public DateTimeOffset FailedAt { get; }

    /// <summary>
    /// The <c>tmq-dlq-*</c> metadata of this dead letter, one pair per field of <see cref="DeadLetterHeaders"/>
    /// (but the partition on NSQ), in the order every transport writes them (Kafka headers, NSQ envelope headers).
    /// </summary>
    internal IEnumerable<KeyValuePair<string, string>> Metadata()
    {
        var original = Message;
        yield return new(DeadLetterHeaders.OriginalTopic, original.Topic);
        if (original.MessageId is null)
        {
            // NSQ has no partitions: its partition and offset are the runtime's own numbering, so an NSQ dead letter carries the message id alone.
            yield return new(DeadLetterHeaders.OriginalPartition, Decimal(original.Partition));
        }

        yield return new(DeadLetterHeaders.OriginalOffset, original.MessageId ?? Decimal(original.Offset));
        yield return new(DeadLetterHeaders.OriginalTimestamp, Decimal(UnixMilliseconds(original.Timestamp)));
        yield return new(DeadLetterHeaders.Group, Group ?? string.Empty);
        yield return new(DeadLetterHeaders.Attempts, Decimal(Attempts));
        yield return new(DeadLetterHeaders.ExceptionType, Exception.GetType().FullName ?? Exception.GetType().Name);
        yield return new(DeadLetterHeaders.ExceptionMessage, DeadLetterHeaders.Truncate(Exception.Message, DeadLetterHeaders.MaxMessageLength));
        yield return new(DeadLetterHeaders.Stack, DeadLetterHeaders.Truncate(Exception.StackTrace, DeadLetterHeaders.MaxStackLength));
        yield return new(DeadLetterHeaders.FailedAt, FailedAt.UtcDateTime.ToString("O", CultureInfo.InvariantCulture));
    }

    /// <summary>Unix milliseconds; -1 (Kafka's "no timestamp") when the original had none.</summary>
    private static long UnixMilliseconds(DateTimeOffset timestamp) =>
        timestamp == DateTimeOffset.MinValue ? -1 : timestamp.ToUnixTimeMilliseconds();

    private static string Decimal(long value) => value.ToString(CultureInfo.InvariantCulture);
}
