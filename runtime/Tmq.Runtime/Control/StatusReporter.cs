using System.Reflection;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Tmq.Hosting;
using Tmq.Telemetry;

namespace Tmq.Control;

/// <summary>
/// Builds this instance's <see cref="InstanceStatus"/> from what its consumers already report to
/// the metrics and the health check (the handler outcomes counted since start among them) and the
/// settings control messages have set.
/// </summary>
internal sealed class StatusReporter
{
    private readonly IServiceProvider _services;
    private readonly TmqMetrics _metrics;
    private readonly TimeProvider _time;
    private readonly DateTimeOffset _startedAt;

    public StatusReporter(IServiceProvider services, TimeSpan interval)
    {
        _services = services;
        _metrics = services.GetRequiredService<TmqMetrics>();
        _time = services.GetService<TimeProvider>() ?? TimeProvider.System;
        _startedAt = _time.GetUtcNow();
        Interval = interval;
        Service = services.GetRequiredService<IOptions<TmqOptions>>().Value.Service;
        Instance = $"{Environment.MachineName}/{Environment.ProcessId}/{Guid.NewGuid().ToString("N")[..8]}";
    }

    public string Service { get; }

    /// <summary>This instance's id: host/pid/random, unique per start.</summary>
    public string Instance { get; }

    public TimeSpan Interval { get; }

    public InstanceStatus Build(bool stopping)
    {
        var owner = _services.GetService<IConfiguration>()?.GetSection("Tmq:Owner");
        var control = _services.GetService<ControlApplier>();
        var consumers = new List<ConsumerStatusReport>();
        foreach (var gauges in _metrics.Consumers)
        {
            var tags = gauges.Tags.ToDictionary(static t => t.Key, static t => t.Value?.ToString() ?? string.Empty, StringComparer.Ordinal);
            var name = tags.GetValueOrDefault("tmq.consumer") ?? string.Empty;
            var status = _services.GetKeyedService<ConsumerStatus>(name);
            consumers.Add(new ConsumerStatusReport
            {
                Name = name,
                System = tags.GetValueOrDefault("messaging.system") ?? string.Empty,
                Topic = tags.GetValueOrDefault("messaging.destination.name") ?? string.Empty,
                Group = tags.GetValueOrDefault("messaging.consumer.group.name") ?? string.Empty,
                Running = status?.Running ?? false,
                Paused = gauges.Paused,
                Fault = status?.Fault,
                DeadLetterTopic = status?.DeadLetterTopic,
                Assigned = status?.Assigned ?? 0,
                InFlight = gauges.InFlight,
                Buffered = gauges.Buffered,
                Lag = gauges.Lag().ToDictionary(static l => l.Partition.ToString(System.Globalization.CultureInfo.InvariantCulture), static l => l.Lag, StringComparer.Ordinal),
                Depth = gauges.Depth().ToDictionary(static d => d.Server, static d => d.Depth, StringComparer.Ordinal),
                Outcomes = gauges.OutcomeTotals().ToDictionary(static o => o.Outcome, static o => o.Total, StringComparer.Ordinal),
                Control = control?.SettingsOf(name) ?? new Dictionary<string, string>(),
            });
        }

        return new InstanceStatus
        {
            Service = Service,
            Instance = Instance,
            Host = Environment.MachineName,
            Process = Environment.ProcessId,
            ServiceVersion = Version(Assembly.GetEntryAssembly()),
            TmqVersion = Version(typeof(TmqOptions).Assembly),
            StartedAt = _startedAt,
            SentAt = _time.GetUtcNow(),
            Interval = Interval,
            Stopping = stopping,
            Owner = owner?["Name"],
            AlertReceivers = [.. owner?.GetSection("AlertReceivers").GetChildren().Select(static c => c.Value).OfType<string>() ?? []],
            Consumers = [.. consumers.OrderBy(static c => c.Name, StringComparer.Ordinal)],
        };
    }

    private static string Version(Assembly? assembly) =>
        assembly?.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion is { } version
            ? version.Split('+')[0]
            : assembly?.GetName().Version?.ToString() ?? string.Empty;
}
