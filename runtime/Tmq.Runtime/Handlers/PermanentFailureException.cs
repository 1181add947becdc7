namespace Tmq;

/// <summary>
/// Thrown by a handler to say "retrying will not help": the message skips the remaining attempts
/// and goes straight to the dead-letter destination (or stops the partition under the
/// <c>Stop</c> policy).
/// </summary>
public class PermanentFailureException : Exception
{
    /// <summary>Creates the exception with a default message.</summary>
    public PermanentFailureException()
        : base("The message cannot be processed; retrying will not help.")
    {
    }

    /// <summary>Creates the exception with <paramref name="message"/>.</summary>
    public PermanentFailureException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception with <paramref name="message"/> and its cause.</summary>
    public PermanentFailureException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
