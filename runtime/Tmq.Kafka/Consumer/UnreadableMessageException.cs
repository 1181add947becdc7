namespace Tmq.Kafka;

/// <summary>
/// Why a Kafka message never reached the handler: the client could not read it (a record batch
/// that cannot be decompressed, or fails its CRC check with <c>check.crcs</c>). It is the
/// <c>tmq-dlq-exception-type</c> of the dead letter written for such an offset, whose message
/// header holds librdkafka's error; the dead letter's key and value are empty, as nothing of the
/// original could be read.
/// </summary>
/// <remarks>Never thrown to a handler; it is a failure for good, so it is not retried.</remarks>
public sealed class UnreadableMessageException : Exception
{
    /// <summary>Creates an exception with a default message.</summary>
    public UnreadableMessageException()
        : base("The Kafka client could not read the message.")
    {
    }

    /// <summary>Creates an exception with <paramref name="message"/>.</summary>
    public UnreadableMessageException(string message)
        : base(message)
    {
    }

    /// <summary>Creates an exception with <paramref name="message"/> and its cause.</summary>
    public UnreadableMessageException(string message, Exception? innerException)
        : base(message, innerException)
    {
    }
}
