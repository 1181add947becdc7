namespace Tmq.Nsq.DevServer;

/// <summary>
/// A command failed: the connection answers with an error frame, its <see cref="Exception.Message"/>
/// (<c>CODE description</c>), and closes
/// after it unless the error is one of the non-fatal FIN/REQ/TOUCH failures (nsqd's ClientErr and
/// FatalClientErr).
/// </summary>
internal sealed class ClientErrorException : Exception
{
    public ClientErrorException()
        : this("E_INVALID", "invalid command", fatal: true)
    {
    }

    public ClientErrorException(string message)
        : this("E_INVALID", message, fatal: true)
    {
    }

    public ClientErrorException(string message, Exception innerException)
        : base(message, innerException)
    {
        Code = "E_INVALID";
        Fatal = true;
    }

    public ClientErrorException(string code, string description, bool fatal = true)
        : base($"{code} {description}")
    {
        Code = code;
        Fatal = fatal;
    }

    public string Code { get; }

    public bool Fatal { get; }
}
