using Microsoft.Extensions.Logging;

namespace Tmq.Nsq.Control;

/// <summary>Log events of the NSQ control reader (event ids 3300-3309) and status publisher (3310-3319), stable.</summary>
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

    [LoggerMessage(3310, LogLevel.Information, "Status reports: publishing to {Topic} every {Seconds:0.#} s through {Source}.")]
    public static partial void StatusStarted(ILogger logger, string topic, double seconds, string source);

    [LoggerMessage(3311, LogLevel.Warning, "Status reports: {Reason} The report is dropped; the next one replaces it.")]
    public static partial void StatusNotPublished(ILogger logger, string reason);

    [LoggerMessage(3312, LogLevel.Information, "Status reports: published to {Topic} again.")]
    public static partial void StatusPublishedAgain(ILogger logger, string topic);

    [LoggerMessage(3313, LogLevel.Warning, "Status reports: nsqlookupd {Lookupd} could not be asked for its nsqd: {Reason} Its last answer stands.")]
    public static partial void StatusLookupdFailed(ILogger logger, string lookupd, string reason);

    [LoggerMessage(3314, LogLevel.Information, "Status reports: off, as no Tmq consumer or producer is registered (AddTmqNsqConsumer, AddTmqNsqProducer): there is nothing to report on.")]
    public static partial void StatusNothingToReport(ILogger logger);
}
