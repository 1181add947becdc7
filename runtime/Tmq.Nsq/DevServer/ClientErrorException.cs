namespace Tmq.Nsq.DevServer;

/// <summary>
/// A command failed: the connection answers with an error frame <c>CODE description</c>, and closes
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
        Description = message;
        Fatal = true;
    }

    public ClientErrorException(string code, string description, bool fatal = true)
        : base($"{code} {description}")
    {
        Code = code;
        Description = description;
        Fatal = fatal;
    }

    public string Code { get; }

    public string Description { get; }

    public bool Fatal { get; }

    /// <summary>The error frame's data.</summary>
    public string FrameText => $"{Code} {Description}";
}
