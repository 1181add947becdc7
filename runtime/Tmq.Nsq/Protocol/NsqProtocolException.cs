namespace Tmq.Nsq.Protocol;

/// <summary>
/// nsqd (or something pretending to be it) sent bytes that are not NSQ protocol V2, or a frame
/// larger than the configured limit. The connection that read them is closed; nothing else is.
/// </summary>
public sealed class NsqProtocolException : IOException
{
    /// <summary>Creates the exception.</summary>
    public NsqProtocolException()
        : this("nsqd sent bytes that are not NSQ protocol V2.")
    {
    }

    /// <summary>Creates the exception with a description of what arrived.</summary>
    public NsqProtocolException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception with a description of what arrived and its cause.</summary>
    public NsqProtocolException(string message, Exception? innerException)
        : base(message, innerException)
    {
    }
}
