using Confluent.Kafka;
using Microsoft.Extensions.Logging;
using Tmq.Hosting;
using Tmq.Telemetry;

namespace Tmq.Kafka;

/// <summary>Everything a <see cref="KafkaConsumerLoop"/> is built from.</summary>
internal sealed class KafkaConsumerLoopSettings
{
    public required string Name { get; init; }

    public required string Group { get; init; }

    public required ConsumerConfig Config { get; init; }

    /// <summary>The options at start-up (topic, timeouts that are not live).</summary>
    public required KafkaConsumerOptions Options { get; init; }

    /// <summary>The current options, for the live ones (Paused, RevokeDrainTimeout).</summary>
    public required Func<KafkaConsumerOptions> LiveOptions { get; init; }

    public required ILogger Logger { get; init; }

    public required TmqMetrics Metrics { get; init; }

    public required ConsumerStatus Status { get; init; }

    public IRebalanceListener? Listener { get; init; }

    public TimeProvider TimeProvider { get; init; } = TimeProvider.System;

    /// <summary>Called once when the consumer cannot go on (fatal client error, loop failure).</summary>
    public Action OnFatal { get; init; } = static () => { };
}
