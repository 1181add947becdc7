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

    /// <summary>Hand failed messages back to the broker with a delay (NSQ REQ) instead of retrying in place.</summary>
    public bool RequeueRetries { get; init; }

    public TimeProvider TimeProvider { get; init; } = TimeProvider.System;

    /// <summary>Jitter source, uniform in [0, 1).</summary>
    public Func<double> Random { get; init; } = System.Random.Shared.NextDouble;

    public ILogger Logger { get; init; } = NullLogger.Instance;

    public TmqMetrics Metrics { get; init; } = SharedMetrics;

    private static TmqMetrics SharedMetrics { get; } = new();
}
