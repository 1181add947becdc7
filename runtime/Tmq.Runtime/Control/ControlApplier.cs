using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Tmq.Telemetry;

namespace Tmq.Control;

/// <summary>
/// Applies control messages to this instance's consumers, whole or not at all. It keeps the latest
/// settings per address (the service, or one consumer of it): a message replaces them, or with
/// <see cref="ControlMessage.Merge"/> is laid over them; a consumer's settings are the service's,
/// then its own over them. Before anything changes, every consumer the message affects
/// has its options built and validated with the new settings, as at start-up: one bad value and
/// the message is logged and ignored, and every consumer keeps what it had. Messages for another
/// service are ignored (they share the topic).
/// </summary>
internal sealed class ControlApplier
{
    private readonly Lock _gate = new();
    private readonly IServiceProvider _services;
    private readonly ControlOverrides _overrides;
    private readonly IReadOnlyList<ControlTarget> _targets;
    private readonly ILogger _logger;
    private Dictionary<string, ControlMessage> _state = new(StringComparer.Ordinal);

    public ControlApplier(IServiceProvider services)
    {
        _services = services;
        _overrides = services.GetRequiredService<ControlOverrides>();
        _targets = [.. services.GetServices<ControlTarget>()];
        _logger = services.GetService<ILoggerFactory>()?.CreateLogger("Tmq.Control") ?? NullLogger.Instance;
        Service = services.GetRequiredService<IOptions<TmqOptions>>().Value.Service;
    }

    /// <summary>This instance's service (Tmq:Service): the only one whose messages apply.</summary>
    public string Service { get; }

    /// <summary>The consumers this instance runs.</summary>
    public IEnumerable<string> Consumers => _targets.Select(static t => t.Name);

    /// <summary>The settings consumer <paramref name="consumer"/> has from control messages now.</summary>
    public IReadOnlyDictionary<string, string> SettingsOf(string consumer) => _overrides.For(consumer);

    /// <summary>
    /// Applies a message read from the control topic: <paramref name="message"/>, or for a Kafka
    /// tombstone null with its <paramref name="key"/>. Returns whether anything changed.
    /// </summary>
    public bool Apply(string key, ControlMessage? message, string origin)
    {
        var (service, consumer) = message is null ? ControlMessage.ParseKey(key) : (message.Service, message.Consumer);
        if (message is not null && key != message.Key)
        {
            Reject(origin, $"its key \"{key}\" is not its address \"{message.Key}\"");
            return false;
        }

        if (!string.Equals(service, Service, StringComparison.Ordinal))
        {
            ControlLog.Foreign(_logger, origin, service);
            return false;
        }

        if (consumer is not null && _targets.All(t => t.Name != consumer))
        {
            ControlLog.NotHere(_logger, origin, consumer);
            return false;
        }

        lock (_gate)
        {
            var next = new Dictionary<string, ControlMessage>(_state, StringComparer.Ordinal);
            if (message is null)
            {
                next.Remove(key);
            }
            else if (message.Merge)
            {
                var merged = next.TryGetValue(key, out var current) ? current.Settings.ToDictionary(StringComparer.Ordinal) : new Dictionary<string, string>(StringComparer.Ordinal);
                foreach (var name in message.Unset ?? [])
                {
                    merged.Remove(name);
                }

                foreach (var (name, value) in message.Settings)
                {
                    merged[name] = value;
                }

                next[key] = message with { Settings = merged, Merge = false, Unset = null };
            }
            else
            {
                next[key] = message;
            }

            var settings = Effective(next);
            var changed = _targets.Where(t => !Same(settings[t.Name], _overrides.For(t.Name))).Select(static t => t.Name).ToList();
            var errors = new List<string>();
            foreach (var target in _targets.Where(t => changed.Contains(t.Name)))
            {
                try
                {
                    _overrides.Try(settings, () => target.BuildOptions(_services));
                }
                catch (Exception e) when (e is OptionsValidationException or TmqSettingsException or InvalidOperationException or FormatException or OverflowException)
                {
                    errors.Add($"consumer {target.Name}: {e.Message}");
                }
            }

            if (errors.Count > 0)
            {
                Reject(origin, string.Join(" ", errors));
                return false;
            }

            _state = next;

            _overrides.Commit(settings, changed);
            foreach (var name in changed)
            {
                var now = settings[name];
                if (now.Count == 0)
                {
                    ControlLog.Cleared(_logger, name, origin);
                }
                else
                {
                    ControlLog.Applied(_logger, name, Describe(now), message?.SentBy ?? "a tombstone", origin);
                }
            }

            return changed.Count > 0;
        }
    }

    /// <summary>Logs a message on the control topic that could not be read, and ignores it.</summary>
    public void Reject(string origin, string error) => ControlLog.Ignored(_logger, origin, error);

    private Dictionary<string, IReadOnlyDictionary<string, string>> Effective(Dictionary<string, ControlMessage> state)
    {
        var result = new Dictionary<string, IReadOnlyDictionary<string, string>>(StringComparer.Ordinal);
        foreach (var target in _targets)
        {
            var settings = new Dictionary<string, string>(StringComparer.Ordinal);
            foreach (var key in new[] { ControlMessage.KeyFor(Service, null), ControlMessage.KeyFor(Service, target.Name) })
            {
                if (state.TryGetValue(key, out var message))
                {
                    foreach (var (name, value) in message.Settings)
                    {
                        settings[name] = value;
                    }
                }
            }

            result[target.Name] = settings;
        }

        return result;
    }

    private static bool Same(IReadOnlyDictionary<string, string> a, IReadOnlyDictionary<string, string> b) =>
        a.Count == b.Count && a.All(p => b.TryGetValue(p.Key, out var v) && v == p.Value);

    private static string Describe(IReadOnlyDictionary<string, string> settings) =>
        string.Join(", ", settings.OrderBy(static s => s.Key, StringComparer.Ordinal).Select(static s => $"{s.Key}={s.Value}"));
}

/// <summary>Log events of control messages (event ids 1100-1109).</summary>
internal static partial class ControlLog
{
    [LoggerMessage(1100, LogLevel.Information, "Consumer {Consumer}: control settings are now {Settings} (sent by {SentBy}; {Origin}); they take precedence over appsettings.json until cleared.")]
    public static partial void Applied(ILogger logger, string consumer, string settings, string sentBy, string origin);

    [LoggerMessage(1101, LogLevel.Information, "Consumer {Consumer}: no control settings any more ({Origin}); appsettings.json applies again.")]
    public static partial void Cleared(ILogger logger, string consumer, string origin);

    [LoggerMessage(1102, LogLevel.Warning, "Ignored a control message ({Origin}), nothing of it applied: {Error}.")]
    public static partial void Ignored(ILogger logger, string origin, string error);

    [LoggerMessage(1103, LogLevel.Debug, "Ignored a control message for service {Service} ({Origin}): another service's.")]
    public static partial void Foreign(ILogger logger, string origin, string service);

    [LoggerMessage(1104, LogLevel.Debug, "Ignored a control message for consumer {Consumer} ({Origin}): this instance runs no consumer of that name.")]
    public static partial void NotHere(ILogger logger, string origin, string consumer);
}
