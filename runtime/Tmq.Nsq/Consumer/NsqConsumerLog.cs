using Microsoft.Extensions.Logging;

namespace Tmq.Nsq.Consumer;

/// <summary>Log events of the NSQ consumer (event ids 3001-3099, stable).</summary>
internal static partial class NsqConsumerLog
{
    [LoggerMessage(3001, LogLevel.Information, "NSQ consumer {Consumer} started: topic {Topic}, channel {Channel}, {Source}, MaxInFlight {MaxInFlight}.")]
    public static partial void Started(ILogger logger, string consumer, string topic, string channel, string source, int maxInFlight);

    [LoggerMessage(3002, LogLevel.Information, "NSQ consumer {Consumer}: connected to nsqd {Address} (version {Version}, msg_timeout {MsgTimeout} s, max_rdy_count {MaxRdy}).")]
    public static partial void Connected(ILogger logger, string consumer, string address, string version, double msgTimeout, int maxRdy);

    [LoggerMessage(3003, LogLevel.Warning, "NSQ consumer {Consumer}: connection to nsqd {Address} ended: {Reason} Reconnecting (attempt {Failures} failed before).")]
    public static partial void ConnectionLost(ILogger logger, string consumer, string address, string reason, int failures);

    [LoggerMessage(3004, LogLevel.Information, "NSQ consumer {Consumer}: nsqd {Address} is no longer listed by any lookupd; not reconnecting to it.")]
    public static partial void NsqdLeft(ILogger logger, string consumer, string address);

    [LoggerMessage(3005, LogLevel.Warning, "NSQ consumer {Consumer}: nsqlookupd {Lookupd} could not be asked: {Reason} Its last answer stands.")]
    public static partial void LookupdFailed(ILogger logger, string consumer, string lookupd, string reason);

    [LoggerMessage(3006, LogLevel.Information, "NSQ consumer {Consumer}: no nsqd has topic {Topic} yet; asking lookupd again in about {Seconds} s.")]
    public static partial void TopicNotFound(ILogger logger, string consumer, string topic, double seconds);

    [LoggerMessage(3007, LogLevel.Warning, "NSQ consumer {Consumer}: message {MessageId} of key {Key} cannot wait {Delay:0.###} s more in flight (nsqd's max_msg_timeout), so it is requeued and later messages of its key may be handled before it.")]
    public static partial void KeyOrderGivenUp(ILogger logger, string consumer, string messageId, string key, double delay);

    [LoggerMessage(3008, LogLevel.Warning, "NSQ consumer {Consumer}: retry delay {Delay} s of message {MessageId} is over nsqd's max-req-timeout; requeued with {Max} s (Nsq:MaxRequeueDelay).")]
    public static partial void RequeueDelayClamped(ILogger logger, string consumer, string messageId, double delay, double max);

    [LoggerMessage(3009, LogLevel.Error, "NSQ consumer {Consumer}: a message failed for good under the Stop policy; no more messages are taken (RDY 0) until the service restarts.")]
    public static partial void Halted(ILogger logger, string consumer);

    [LoggerMessage(3010, LogLevel.Information, "NSQ consumer {Consumer}: Paused is now {Paused}.")]
    public static partial void PausedChanged(ILogger logger, string consumer, bool paused);

    [LoggerMessage(3011, LogLevel.Information, "NSQ consumer {Consumer}: shut down.")]
    public static partial void Stopped(ILogger logger, string consumer);

    [LoggerMessage(3012, LogLevel.Debug, "NSQ consumer {Consumer}: connecting to nsqd {Address}.")]
    public static partial void Connecting(ILogger logger, string consumer, string address);

    [LoggerMessage(3013, LogLevel.Warning, "NSQ consumer {Consumer}: a handler failed; backing off: no messages for {Seconds:0.###} s (Nsq:Backoff), then one at a time until one succeeds.")]
    public static partial void BackingOff(ILogger logger, string consumer, double seconds);

    [LoggerMessage(3014, LogLevel.Information, "NSQ consumer {Consumer}: a message succeeded after the backoff; taking messages at full rate again.")]
    public static partial void BackoffEnded(ILogger logger, string consumer);

    [LoggerMessage(3015, LogLevel.Information, "NSQ consumer {Consumer}: the channel's depth on nsqd {Address} is unknown: its HTTP API at {Http} did not answer /stats ({Reason}). tmq.consumer.depth leaves it out until it answers. A fixed Nsq:Nsqd address is asked at the next port; Nsq:DepthPollInterval 0 turns this off.")]
    public static partial void DepthUnknown(ILogger logger, string consumer, string address, string http, string reason);
}
