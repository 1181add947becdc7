namespace Tmq;

/// <summary>A message was not acknowledged by the broker.</summary>
/// <remarks>
/// The client has already retried transient errors until its delivery timeout; catching this and
/// sending again is still reasonable when <see cref="IsTransient"/> is true (e.g. the broker was
/// unreachable), but may duplicate the message when <see cref="MayHaveBeenWritten"/> is true.
/// </remarks>
public sealed class TmqProduceException : Exception
{
    /// <summary>Creates an exception with a message only.</summary>
    public TmqProduceException()
        : this("The message was not acknowledged by the broker.")
    {
    }

    /// <summary>Creates an exception with a message only.</summary>
    public TmqProduceException(string message)
        : this(message, null)
    {
    }

    /// <summary>Creates an exception with a message and its cause.</summary>
    public TmqProduceException(string message, Exception? innerException)
        : base(message, innerException)
    {
        Topic = string.Empty;
        Code = "Unknown";
    }

    /// <summary>Creates an exception describing a failed send.</summary>
    /// <param name="message">What happened and what to do.</param>
    /// <param name="topic">The destination topic.</param>
    /// <param name="code">The broker or client error name, e.g. <c>MsgSizeTooLarge</c>.</param>
    /// <param name="isTransient">Whether sending again later may succeed.</param>
    /// <param name="mayHaveBeenWritten">Whether the broker may have stored the message anyway.</param>
    /// <param name="innerException">The client's exception.</param>
    public TmqProduceException(string message, string topic, string code, bool isTransient, bool mayHaveBeenWritten, Exception? innerException)
        : base(message, innerException)
    {
        Topic = topic;
        Code = code;
        IsTransient = isTransient;
        MayHaveBeenWritten = mayHaveBeenWritten;
    }

    /// <summary>The destination topic.</summary>
    public string Topic { get; }

    /// <summary>The broker or client error name (for Kafka, a <c>Confluent.Kafka.ErrorCode</c> name such as <c>MsgSizeTooLarge</c>).</summary>
    public string Code { get; }

    /// <summary>Whether sending again later may succeed (broker unreachable, timed out, leader moving...).</summary>
    public bool IsTransient { get; }

    /// <summary>Whether the broker may have stored the message even though it was not acknowledged (a retry may duplicate it).</summary>
    public bool MayHaveBeenWritten { get; }
}
