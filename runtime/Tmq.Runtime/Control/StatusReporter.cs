using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using System.Reflection;
using System.Runtime.CompilerServices;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Tmq.Hosting;
using Tmq.Telemetry;

namespace Tmq.Control;

/// <summary>
/// Builds this instance's <see cref="InstanceStatus"/> from what its consumers already report to
/// the metrics and the health check, plus the handler outcomes counted since start (read from the
/// runtime's own outcome counter) and the settings control messages have set.
/// </summary>
internal sealed class StatusReporter : IDisposable
{
    private readonly IServiceProvider _services;
    private readonly TmqMetrics _metrics;
    private readonly TimeProvider _time;
    private readonly MeterListener _listener = new();
    private readonly ConcurrentDictionary<(string Consumer, string Outcome), StrongBox<long>> _outcomes = new();
    private readonly DateTimeOffset _startedAt;

    /// <summary>How many (consumer, outcome) pairs <see cref="Count"/> matches by reference before the dictionary.</summary>
    private const int RecentPairs = 16;
    private (string Consumer, string Outcome, StrongBox<long> Total)[] _recent = [];

    public StatusReporter(IServiceProvider services, TimeSpan interval)
    {
        _services = services;
        _metrics = services.GetRequiredService<TmqMetrics>();
        _time = services.GetService<TimeProvider>() ?? TimeProvider.System;
        _startedAt = _time.GetUtcNow();
        Interval = interval;
        Service = services.GetRequiredService<IOptions<TmqOptions>>().Value.Service;
        Instance = $"{Environment.MachineName}/{Environment.ProcessId}/{Guid.NewGuid().ToString("N")[..8]}";
        _listener.InstrumentPublished = (instrument, listener) =>
        {
            if (ReferenceEquals(instrument, _metrics.Outcomes))
            {
                listener.EnableMeasurementEvents(instrument);
            }
        };
        _listener.SetMeasurementEventCallback<long>(Count);
        _listener.Start();
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
                Outcomes = gauges.Outcomes.ToDictionary(static o => o, o => _outcomes.TryGetValue((name, o), out var total) ? Volatile.Read(ref total.Value) : 0, StringComparer.Ordinal),
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

    public void Dispose() => _listener.Dispose();

    private void Count(Instrument instrument, long value, ReadOnlySpan<KeyValuePair<string, object?>> tags, object? state)
    {
        if (value == 0)
        {
            return;
        }

        string? consumer = null, outcome = null;
        foreach (var (key, tag) in tags)
        {
            if (key == "tmq.consumer")
            {
                consumer = tag as string;
            }
            else if (key == "tmq.outcome")
            {
                outcome = tag as string;
            }
        }

        if (consumer is null || outcome is null)
        {
            return;
        }

        // Once per message handled, on the worker that handled it. The engine passes the same
        // string instances every time (its consumer tag, the outcome constants), so a reference
        // match on a few remembered pairs finds the total without hashing both strings for the
        // dictionary; a pair not remembered yet takes the dictionary and is remembered.
        foreach (var (knownConsumer, knownOutcome, known) in Volatile.Read(ref _recent))
        {
            if (ReferenceEquals(knownConsumer, consumer) && ReferenceEquals(knownOutcome, outcome))
            {
                Interlocked.Add(ref known.Value, value);
                return;
            }
        }

        var total = _outcomes.GetOrAdd((consumer, outcome), static _ => new StrongBox<long>());
        Interlocked.Add(ref total.Value, value);
        Remember(consumer, outcome, total);
    }

    private void Remember(string consumer, string outcome, StrongBox<long> total)
    {
        var recent = Volatile.Read(ref _recent);
        if (recent.Length < RecentPairs)
        {
            // Losing a race only leaves this pair to the dictionary until its next count.
            Interlocked.CompareExchange(ref _recent, [.. recent, (consumer, outcome, total)], recent);
        }
    }

    private static string Version(Assembly? assembly) =>
        assembly?.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion is { } version
            ? version.Split('+')[0]
            : assembly?.GetName().Version?.ToString() ?? string.Empty;
}
