using Microsoft.Extensions.Logging;
using Tmq.Hosting;
using Tmq.Nsq.Connection;
using Tmq.Telemetry;

namespace Tmq.Nsq.Consumer;

/// <summary>Everything an <see cref="NsqConsumer"/> is built from.</summary>
internal sealed class NsqConsumerSetup
{
    public required string Name { get; init; }

    public required string Channel { get; init; }

    public required NsqConsumerOptions Options { get; init; }

    /// <summary>The current options (Paused is read live).</summary>
    public required Func<NsqConsumerOptions> LiveOptions { get; init; }

    /// <summary>How each connection is opened; the consumer sets nothing on it but the handler.</summary>
    public required NsqConnectionSettings Connection { get; init; }

    public required ILogger Logger { get; init; }

    public required TmqMetrics Metrics { get; init; }

    public required ConsumerStatus Status { get; init; }

    public TimeProvider TimeProvider { get; init; } = TimeProvider.System;

    /// <summary>Jitter source, uniform in [0, 1).</summary>
    public Func<double> Random { get; init; } = System.Random.Shared.NextDouble;

    /// <summary>Asks lookupd; null when the consumer uses fixed nsqd addresses.</summary>
    public Discovery.LookupdClient? Lookupd { get; init; }

    /// <summary>Reads nsqd's <c>/stats</c> for the channel's depth; null when that is off (Nsq:DepthPollInterval 0).</summary>
    public HttpClient? Stats { get; init; }
}
