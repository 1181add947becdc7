using Microsoft.Extensions.Logging;

namespace Tmq.Telemetry;

/// <summary>Log events of the dispatch engine. Event ids 1000-1099 are stable: alerts may match them.</summary>
internal static partial class Log
{
    [LoggerMessage(1001, LogLevel.Warning, "Consumer {Consumer}: handler failed on {Message} (attempt {Attempt}); retrying in {DelayMs:0} ms.")]
    public static partial void HandlerFailedRetrying(ILogger logger, Exception exception, string consumer, string message, int attempt, double delayMs);

    [LoggerMessage(1002, LogLevel.Error, "Consumer {Consumer}: {Message} failed after {Attempt} attempt(s) (permanent: {Permanent}); dead-lettering to {Destination}.")]
    public static partial void DeadLettering(ILogger logger, Exception exception, string consumer, string message, int attempt, bool permanent, string destination);

    [LoggerMessage(1003, LogLevel.Warning, "Consumer {Consumer}: dead-letter write of {Message} to {Destination} failed (write {Write}); trying again in {DelayMs:0} ms. The original stays unfinished.")]
    public static partial void DeadLetterWriteFailed(ILogger logger, Exception exception, string consumer, string message, string destination, int write, double delayMs);

    [LoggerMessage(1004, LogLevel.Critical, "Consumer {Consumer}: {Topic}[{Partition}]@{Offset} failed after {Attempt} attempt(s) and the policy is Stop: partition {Partition} is halted and nothing after this offset will be handled or committed until the service restarts.")]
    public static partial void PartitionStopped(ILogger logger, Exception exception, string consumer, string topic, int partition, long offset, int attempt);

    [LoggerMessage(1016, LogLevel.Error, "Consumer {Consumer}: {Message} failed after {Attempt} attempt(s) and the policy is Stop, but its partition is being given up (revoke, loss or shutdown): nothing is halted, and the message stays uncommitted, so whoever reads the partition next handles it again.")]
    public static partial void StopOnClosingPartition(ILogger logger, Exception exception, string consumer, string message, int attempt);

    [LoggerMessage(1005, LogLevel.Warning, "Consumer {Consumer}: {Count} handler call(s) still running after the drain timeout of {Timeout}; cancelling them. Their messages will be redelivered.")]
    public static partial void DrainTimedOut(ILogger logger, string consumer, int count, TimeSpan timeout);

    [LoggerMessage(1006, LogLevel.Warning, "Consumer {Consumer}: {Count} handler call(s) ignored cancellation and are still running; abandoning them. Their messages will be redelivered.")]
    public static partial void HandlersAbandoned(ILogger logger, string consumer, int count);

    [LoggerMessage(1007, LogLevel.Information, "Consumer {Consumer}: concurrency changed from {Old} to {New}.")]
    public static partial void ConcurrencyChanged(ILogger logger, string consumer, int old, int @new);

    [LoggerMessage(1009, LogLevel.Critical, "Consumer {Consumer}: a worker failed while settling {Message}; the message stays unfinished (its partition's position will not pass it). This is a bug in the runtime; please report it.")]
    public static partial void WorkerFailed(ILogger logger, Exception exception, string consumer, string message);

    [LoggerMessage(1008, LogLevel.Error, "Consumer {Consumer}: the transport's callback {Callback} threw; the engine continues.")]
    public static partial void TransportCallbackFailed(ILogger logger, Exception exception, string consumer, string callback);

    [LoggerMessage(1010, LogLevel.Warning, "Consumer {Consumer}: the changed settings are not applied, the consumer keeps its current ones: {Errors}")]
    public static partial void SettingsChangeRejected(ILogger logger, string consumer, string errors);

    [LoggerMessage(1014, LogLevel.Error, "The settings file {File} could not be read, so its change is not applied and the running settings stay; fix the file and save it again: {Error}")]
    public static partial void SettingsFileUnreadable(ILogger logger, string file, string error);

    [LoggerMessage(1015, LogLevel.Warning, "Consumer {Consumer}: {Settings} changed in the configuration, but only Concurrency, Paused and Retry apply while it runs; the change applies when the service restarts.")]
    public static partial void RestartSettingsChanged(ILogger logger, string consumer, string settings);

    [LoggerMessage(1011, LogLevel.Information, "Health endpoint listening on {Url}.")]
    public static partial void HealthEndpointListening(ILogger logger, string url);

    [LoggerMessage(1012, LogLevel.Warning, "Health endpoint: a request failed; the next one is answered afresh.")]
    public static partial void HealthEndpointFailed(ILogger logger, Exception exception);

    [LoggerMessage(1013, LogLevel.Information, "Consumer {Consumer}: retry settings changed to {Retry}; they apply from the next failure.")]
    public static partial void RetryChanged(ILogger logger, string consumer, string retry);
}
