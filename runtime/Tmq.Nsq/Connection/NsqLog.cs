using Microsoft.Extensions.Logging;

namespace Tmq.Nsq.Connection;

/// <summary>Log events of NSQ connections (event ids 3101-3199, stable).</summary>
internal static partial class NsqLog
{
    [LoggerMessage(3101, LogLevel.Warning, "NSQ connection to {Address} closed: {Reason}")]
    public static partial void ConnectionFailed(ILogger logger, string address, string reason);

    [LoggerMessage(3102, LogLevel.Warning, "NSQ connection to {Address}: nothing heard for {Seconds:0.#} s (two heartbeat intervals); closing it.")]
    public static partial void HeartbeatMissed(ILogger logger, string address, double seconds);

    [LoggerMessage(3103, LogLevel.Debug, "NSQ connection to {Address}: {Error} (the message had timed out and nsqd gave it to another consumer).")]
    public static partial void NonFatalError(ILogger logger, string address, string error);

    [LoggerMessage(3104, LogLevel.Information, "NSQ connection to {Address}: authenticated ({Answer}).")]
    public static partial void Authenticated(ILogger logger, string address, string answer);

    [LoggerMessage(3105, LogLevel.Error, "NSQ connection to {Address}: the {Callback} callback threw.")]
    public static partial void HandlerFailed(ILogger logger, Exception exception, string address, string callback);
}
