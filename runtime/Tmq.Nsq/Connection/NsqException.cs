namespace Tmq.Nsq;

/// <summary>nsqd answered with an error (<see cref="Code"/>, e.g. <c>E_AUTH_FAILED</c>), or the client cannot go on with this nsqd.</summary>
public sealed class NsqException : Exception
{
    /// <summary>Creates the exception.</summary>
    public NsqException()
        : this("E_UNKNOWN", "nsqd answered with an error.")
    {
    }

    /// <summary>Creates the exception with a message.</summary>
    public NsqException(string message)
        : this("E_UNKNOWN", message)
    {
    }

    /// <summary>Creates the exception with a message and its cause.</summary>
    public NsqException(string message, Exception? innerException)
        : base(message, innerException)
    {
        Code = "E_UNKNOWN";
    }

    /// <summary>Creates the exception for nsqd's error <paramref name="code"/>.</summary>
    public NsqException(string code, string message)
        : base(message)
    {
        Code = code;
    }

    /// <summary>nsqd's error code (<c>E_INVALID</c>, <c>E_BAD_TOPIC</c>, <c>E_AUTH_FAILED</c>...), or the client's own (<c>E_AUTH_REQUIRED</c>, <c>E_TLS_REFUSED</c>).</summary>
    public string Code { get; }
}
