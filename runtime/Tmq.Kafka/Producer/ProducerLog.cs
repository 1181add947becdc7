using Microsoft.Extensions.Logging;

namespace Tmq.Kafka;

/// <summary>Log messages of the Kafka producer and dead-letter sink (event ids 2201–2299).</summary>
internal static partial class ProducerLog
{
    [LoggerMessage(2201, LogLevel.Debug, "Kafka producer {ClientId} starting with {Settings}.")]
    public static partial void Starting(ILogger logger, string clientId, string settings);

    [LoggerMessage(2202, LogLevel.Warning, "Kafka producer {ClientId}: {Count} message(s) were still unacknowledged after the flush timeout of {Timeout}; they are abandoned and their senders see a failure.")]
    public static partial void FlushTimedOut(ILogger logger, string clientId, int count, TimeSpan timeout);

    [LoggerMessage(EventId = 2203, Message = "librdkafka {Facility}: {Message}")]
    public static partial void Librdkafka(ILogger logger, LogLevel level, string facility, string message);

    [LoggerMessage(2204, LogLevel.Warning, "Kafka producer {ClientId}: {Code}: {Reason}. The client keeps retrying.")]
    public static partial void ClientError(ILogger logger, string clientId, string code, string reason);

    [LoggerMessage(2205, LogLevel.Critical, "Kafka producer {ClientId}: fatal error {Code}: {Reason}. Every further send fails; the service must be restarted.")]
    public static partial void FatalError(ILogger logger, string clientId, string code, string reason);
}
