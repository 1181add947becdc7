using Microsoft.Extensions.Logging;

namespace Tmq.Nsq.Control;

/// <summary>Log events of the NSQ control reader (event ids 3300-3309, stable).</summary>
internal static partial class NsqControlLog
{
    [LoggerMessage(3300, LogLevel.Information, "Control reader: reading topic {Topic} on channel {Channel} from {Source}.")]
    public static partial void Started(ILogger logger, string topic, string channel, string source);

    [LoggerMessage(3301, LogLevel.Warning, "Control reader: not subscribed to {Topic} on every nsqd within {Seconds:0.#} s of start-up (Tmq:Control:StartupTimeout); the consumers start anyway, and control messages published before it subscribes are not received there: {Missing}.")]
    public static partial void NotSubscribed(ILogger logger, string topic, double seconds, string missing);

    [LoggerMessage(3302, LogLevel.Information, "Control reader: subscribed to {Topic} on nsqd {Address}.")]
    public static partial void Subscribed(ILogger logger, string topic, string address);

    [LoggerMessage(3303, LogLevel.Warning, "Control reader: connection to nsqd {Address} ended: {Reason} Reconnecting (attempt {Failures} failed before); control messages published to it meanwhile are not received.")]
    public static partial void ConnectionLost(ILogger logger, string address, string reason, int failures);

    [LoggerMessage(3304, LogLevel.Information, "Control reader: nsqd {Address} is no longer listed by any lookupd; not reconnecting to it.")]
    public static partial void NsqdLeft(ILogger logger, string address);

    [LoggerMessage(3305, LogLevel.Warning, "Control reader: nsqlookupd {Lookupd} could not be asked for its nsqd: {Reason} Its last answer stands.")]
    public static partial void LookupdFailed(ILogger logger, string lookupd, string reason);

    [LoggerMessage(3306, LogLevel.Error, "Control reader: applying the control message ({Origin}) failed; it is finished (FIN) and not applied.")]
    public static partial void ApplyFailed(ILogger logger, Exception exception, string origin);
}
