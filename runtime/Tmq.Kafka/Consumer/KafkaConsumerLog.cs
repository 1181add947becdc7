using Microsoft.Extensions.Logging;

namespace Tmq.Kafka;

/// <summary>Log events of the Kafka consumer (event ids 2001-2099, stable).</summary>
internal static partial class KafkaConsumerLog
{
    [LoggerMessage(2001, LogLevel.Information, "Kafka consumer {Consumer} started: topic {Topic}, group {Group}, {Settings}.")]
    public static partial void Started(ILogger logger, string consumer, string topic, string group, string settings);

    [LoggerMessage(2002, LogLevel.Information, "Kafka consumer {Consumer}: assigned {Partitions}.")]
    public static partial void Assigned(ILogger logger, string consumer, string partitions);

    [LoggerMessage(2003, LogLevel.Information, "Kafka consumer {Consumer}: revoked {Partitions}; committed {Positions}.")]
    public static partial void Revoked(ILogger logger, string consumer, string partitions, string positions);

    [LoggerMessage(2018, LogLevel.Information, "Kafka consumer {Consumer}: revoked {Partitions}; {Positions} could not be committed (see the failure above), so the next owner starts from the last successful commit and handles the messages since then again.")]
    public static partial void RevokedUncommitted(ILogger logger, string consumer, string partitions, string positions);

    [LoggerMessage(2004, LogLevel.Warning, "Kafka consumer {Consumer}: lost {Partitions}; their in-flight work was cancelled and nothing was committed for them.")]
    public static partial void Lost(ILogger logger, string consumer, string partitions);

    [LoggerMessage(2005, LogLevel.Warning, "Kafka consumer {Consumer}: commit of {Positions} failed: {Reason}. The messages after the last successful commit will be redelivered.")]
    public static partial void CommitFailed(ILogger logger, string consumer, string positions, string reason);

    [LoggerMessage(2006, LogLevel.Warning, "Kafka consumer {Consumer}: {Code}: {Reason}. The client keeps retrying.")]
    public static partial void ClientError(ILogger logger, string consumer, string code, string reason);

    [LoggerMessage(2007, LogLevel.Critical, "Kafka consumer {Consumer}: fatal error {Code}: {Reason}. The consumer stops and the service shuts down so that it can be restarted.")]
    public static partial void FatalError(ILogger logger, string consumer, string code, string reason);

    [LoggerMessage(EventId = 2008, Message = "librdkafka {Facility}: {Message}")]
    public static partial void Librdkafka(ILogger logger, LogLevel level, string facility, string message);

    [LoggerMessage(2009, LogLevel.Information, "Kafka consumer {Consumer}: shut down; committed {Positions}.")]
    public static partial void Stopped(ILogger logger, string consumer, string positions);

    [LoggerMessage(2010, LogLevel.Error, "Kafka consumer {Consumer}: the rebalance listener's {Callback} threw; the rebalance continues.")]
    public static partial void ListenerFailed(ILogger logger, Exception exception, string consumer, string callback);

    [LoggerMessage(2011, LogLevel.Warning, "Kafka consumer {Consumer}: a message could not be read: {Reason}.")]
    public static partial void ConsumeError(ILogger logger, string consumer, string reason);

    [LoggerMessage(2019, LogLevel.Error, "Kafka consumer {Consumer}: {Position} could not be read ({Code}: {Reason}). It fails for good without reaching the handler: it is dead-lettered with empty key and value, or stops its partition under OnExhausted Stop; nothing after it is committed before then.")]
    public static partial void Unreadable(ILogger logger, string consumer, string position, string code, string reason);

    [LoggerMessage(2020, LogLevel.Warning, "Kafka consumer {Consumer}: could not move {Partition} past the unreadable offset {Offset}: {Reason}. It is tried again when the client reports the offset again.")]
    public static partial void SeekFailed(ILogger logger, string consumer, string partition, long offset, string reason);

    [LoggerMessage(2012, LogLevel.Information, "Kafka consumer {Consumer}: fetching {State} ({Reason}).")]
    public static partial void FlowChanged(ILogger logger, string consumer, string state, string reason);

    [LoggerMessage(2014, LogLevel.Warning, "Kafka consumer {Consumer}: shutdown did not finish within the host's shutdown timeout (HostOptions.ShutdownTimeout); the host stops waiting. Work not committed yet will be redelivered to the next owner.")]
    public static partial void ShutdownOverran(ILogger logger, string consumer);

    [LoggerMessage(2015, LogLevel.Warning, "Kafka consumer {Consumer}: shut down; the commit of {Positions} was refused. They stay stored and are committed as the consumer leaves the group if the group accepts it then; otherwise the messages after the last successful commit will be redelivered.")]
    public static partial void StoppedUncommitted(ILogger logger, string consumer, string positions);

    [LoggerMessage(2016, LogLevel.Warning, "Kafka consumer {Consumer}: leaving the group took longer than {Seconds} s (a rebalance did not finish); closing anyway.")]
    public static partial void LeaveSlow(ILogger logger, string consumer, double seconds);

    [LoggerMessage(2017, LogLevel.Error, "Kafka consumer {Consumer}: the poll thread is still inside the Kafka client {Seconds} s after shutdown began; the client is abandoned without being destroyed, so the process can exit. The group will notice the member is gone after session.timeout.ms.")]
    public static partial void Abandoned(ILogger logger, string consumer, double seconds);

    [LoggerMessage(2013, LogLevel.Critical, "Kafka consumer {Consumer}: the poll loop failed; the service shuts down so that it can be restarted.")]
    public static partial void LoopFailed(ILogger logger, Exception exception, string consumer);
}
