using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Tmq.Telemetry;

namespace Tmq.Dispatch;

/// <summary>Everything a <see cref="DispatchEngine"/> is built from.</summary>
internal sealed class EngineSettings
{
    public required string Name { get; init; }

    public required IMessageHandler Handler { get; init; }

    public required IDeadLetterSink DeadLetters { get; init; }

    public required IDispatchTransport Transport { get; init; }

    /// <summary>The current options; called again whenever a live option (retry policy) is needed.</summary>
    public required Func<ConsumerOptions> Options { get; init; }

    /// <summary>The consumer group or NSQ channel, for dead-letter metadata and telemetry.</summary>
    public string? Group { get; init; }

    /// <summary>The <c>messaging.system</c> of the telemetry (kafka, nsq); none when null.</summary>
    public string? MessagingSystem { get; init; }

    /// <summary>
    /// Decides, for a failed message and its retry delay, whether the retry is handed back to the
    /// broker (true: NSQ REQ with that delay, <see cref="MessageOutcome.Requeued"/>) or waits in place
    /// holding its key (false). Null: always in place (Kafka). Called on a worker, outside the lock.
    /// </summary>
    public Func<TmqMessage, TimeSpan, bool>? RequeueRetry { get; init; }

    /// <summary>
    /// The transport commits positions (Kafka), so a shutdown also runs queued messages below one
    /// already finished (see <see cref="DispatchEngine.StopAsync"/>). False when every message is
    /// acknowledged on its own (NSQ): a shutdown then hands queued messages back at once.
    /// <value>Defaults to true.</value>
    /// </summary>
    public bool CommitsPositions { get; init; } = true;

    public TimeProvider TimeProvider { get; init; } = TimeProvider.System;

    /// <summary>Jitter source, uniform in [0, 1).</summary>
    public Func<double> Random { get; init; } = System.Random.Shared.NextDouble;

    public ILogger Logger { get; init; } = NullLogger.Instance;

    public TmqMetrics Metrics { get; init; } = SharedMetrics;

    private static TmqMetrics SharedMetrics { get; } = new();
}
