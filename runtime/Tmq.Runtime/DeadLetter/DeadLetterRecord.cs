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
}
