using System.Text.Json.Nodes;
using Tmq.Control;

namespace Tmqtool.WebConsole;

/// <summary>
/// What the console knows: the latest status report of every instance, the dead letters waiting in
/// each dead-letter topic, and a short history of every consumer's lag (Kafka, per partition) or
/// depth (NSQ, per nsqd) for the charts. The broker feed writes, the page's requests read; one lock.
/// </summary>
/// <remarks>
/// A history point is taken every <see cref="Sample"/>, from the instances live at that moment: on
/// Kafka each partition's lag from the newest report that holds it; on NSQ each nsqd's depth as the
/// largest any instance reports (every instance of a channel sees the same depth, so a sum would
/// count it once per instance). Points older than the window are dropped, and so are instances
/// that have not reported for the whole window.
/// </remarks>
internal sealed class ConsoleState(TimeProvider time, TimeSpan window)
{
    private const int MaxNotes = 20;

    private readonly Lock _gate = new();
    private readonly Dictionary<string, InstanceStatus> _latest = new(StringComparer.Ordinal);
    private readonly Dictionary<string, long> _deadLetters = new(StringComparer.Ordinal);
    private readonly Dictionary<string, string> _deadLettersUnknown = new(StringComparer.Ordinal);
    private readonly Dictionary<(string Service, string Consumer), List<(DateTimeOffset At, Dictionary<string, long> Values)>> _history = [];
    private readonly LinkedList<(DateTimeOffset At, string Text)> _notes = new();
    private string? _brokerError;
    private DateTimeOffset? _lastReport;

    public TimeSpan Window { get; } = window;

    /// <summary>
    /// A status report arrived; an older report of the same instance (read late) is ignored, and one
    /// from the future (a clock ahead of ours) counts as sent now, so that it cannot hide the next.
    /// </summary>
    public void Report(InstanceStatus status)
    {
        ArgumentNullException.ThrowIfNull(status);
        var now = time.GetUtcNow();
        if (status.SentAt > now)
        {
            status = status with { SentAt = now };
        }

        lock (_gate)
        {
            if (!_latest.TryGetValue(status.Instance, out var seen) || seen.SentAt <= status.SentAt)
            {
                _latest[status.Instance] = status;
            }

            _lastReport = time.GetUtcNow();
            _brokerError = null;
        }
    }

    /// <summary>Dead letters waiting to be replayed, per dead-letter topic; and why some topics' could not be counted.</summary>
    public void DeadLetters(IReadOnlyDictionary<string, long> waiting, IReadOnlyDictionary<string, string>? unknown = null)
    {
        lock (_gate)
        {
            foreach (var (topic, count) in waiting)
            {
                _deadLetters[topic] = count;
                _deadLettersUnknown.Remove(topic);
            }

            foreach (var (topic, why) in unknown ?? new Dictionary<string, string>())
            {
                _deadLetters.Remove(topic);
                _deadLettersUnknown[topic] = why;
            }
        }
    }

    /// <summary>The broker could not be read (null: it can again).</summary>
    public void BrokerError(string? message)
    {
        lock (_gate)
        {
            _brokerError = message;
        }
    }

    /// <summary>A line for the page's log: what a button did, what the feed said.</summary>
    public void Note(string text)
    {
        lock (_gate)
        {
            _notes.AddFirst((time.GetUtcNow(), text));
            while (_notes.Count > MaxNotes)
            {
                _notes.RemoveLast();
            }
        }
    }

    /// <summary>The dead-letter topics the reports name: the only ones the console replays.</summary>
    public bool IsDeadLetterTopic(string topic)
    {
        lock (_gate)
        {
            return _latest.Values.Any(s => s.Consumers.Any(c => c.DeadLetterTopic == topic));
        }
    }

    /// <summary>Whether a live instance of <paramref name="service"/> reports a consumer named <paramref name="consumer"/>: the only ones the console pauses.</summary>
    public bool IsConsumer(string service, string consumer)
    {
        var now = time.GetUtcNow();
        lock (_gate)
        {
            return _latest.Values.Any(s => s.Service == service && StatusTable.State(s, now) == "live" && s.Consumers.Any(c => c.Name == consumer));
        }
    }

    /// <summary>Every dead-letter topic the reports name.</summary>
    public IReadOnlyList<string> DeadLetterTopics()
    {
        lock (_gate)
        {
            return [.. _latest.Values.SelectMany(static s => s.Consumers).Select(static c => c.DeadLetterTopic).OfType<string>().Distinct().Order(StringComparer.Ordinal)];
        }
    }

    /// <summary>Takes a history point of every consumer with a live instance, and drops points older than the window.</summary>
    public void Sample()
    {
        var now = time.GetUtcNow();
        lock (_gate)
        {
            var live = _latest.Values.Where(s => StatusTable.State(s, now) == "live").OrderBy(static s => s.SentAt);
            var points = new Dictionary<(string, string), Dictionary<string, long>>();
            foreach (var instance in live)
            {
                foreach (var consumer in instance.Consumers)
                {
                    var key = (instance.Service, consumer.Name);
                    if (!points.TryGetValue(key, out var values))
                    {
                        points[key] = values = new Dictionary<string, long>(StringComparer.Ordinal);
                    }

                    // Oldest first: a partition that moved keeps the newest holder's lag.
                    foreach (var (partition, lag) in consumer.Lag)
                    {
                        values[partition] = lag;
                    }

                    foreach (var (nsqd, depth) in consumer.Depth)
                    {
                        values[nsqd] = Math.Max(values.GetValueOrDefault(nsqd), depth);
                    }
                }
            }

            foreach (var (key, values) in points)
            {
                if (!_history.TryGetValue(key, out var series))
                {
                    _history[key] = series = [];
                }

                series.Add((now, values));
            }

            foreach (var (key, series) in _history.ToList())
            {
                series.RemoveAll(p => now - p.At > Window);
                if (series.Count == 0)
                {
                    _history.Remove(key);
                }
            }

            // An instance silent for the whole window is dropped: instances come and go (a
            // deployment replaces them all), and the page would otherwise list them for ever.
            foreach (var (instance, status) in _latest.ToList())
            {
                if (now - status.SentAt > Window)
                {
                    _latest.Remove(instance);
                }
            }
        }
    }

    /// <summary>Everything the page shows, as JSON.</summary>
    public JsonObject Snapshot(string broker)
    {
        var now = time.GetUtcNow();
        lock (_gate)
        {
            var services = new JsonArray();
            foreach (var service in _latest.Values.GroupBy(static s => s.Service).OrderBy(static g => g.Key, StringComparer.Ordinal))
            {
                var newest = service.MaxBy(static s => s.SentAt)!;
                var consumers = new JsonArray();
                var names = service.SelectMany(static s => s.Consumers.Select(static c => c.Name)).Distinct().Order(StringComparer.Ordinal);
                foreach (var name in names)
                {
                    consumers.Add(Consumer(service.Key, name, service, now));
                }

                services.Add(new JsonObject
                {
                    ["service"] = service.Key,
                    ["owner"] = newest.Owner,
                    ["alertReceivers"] = new JsonArray([.. newest.AlertReceivers.Select(static r => (JsonNode?)r)]),
                    ["consumers"] = consumers,
                });
            }

            return new JsonObject
            {
                ["broker"] = broker,
                ["now"] = now.ToUnixTimeMilliseconds(),
                ["windowSeconds"] = Window.TotalSeconds,
                ["brokerError"] = _brokerError,
                ["lastReport"] = _lastReport?.ToUnixTimeMilliseconds(),
                ["services"] = services,
                ["notes"] = new JsonArray([.. _notes.Select(static n => (JsonNode?)new JsonObject { ["at"] = n.At.ToUnixTimeMilliseconds(), ["text"] = n.Text })]),
            };
        }
    }

    private JsonObject Consumer(string service, string name, IEnumerable<InstanceStatus> instances, DateTimeOffset now)
    {
        var rows = new JsonArray();
        ConsumerStatusReport? first = null;
        long deadLettered = 0;
        var live = 0;
        var paused = 0;
        foreach (var instance in instances.OrderBy(static s => s.StartedAt).ThenBy(static s => s.Instance, StringComparer.Ordinal))
        {
            if (instance.Consumers.FirstOrDefault(c => c.Name == name) is not { } consumer)
            {
                continue;
            }

            first ??= consumer;
            var state = StatusTable.State(instance, now);
            deadLettered += consumer.Outcomes.GetValueOrDefault("dead_letter");
            if (state == "live")
            {
                live++;
                paused += consumer.Paused ? 1 : 0;
            }

            rows.Add(new JsonObject
            {
                ["instance"] = instance.Instance,
                ["host"] = instance.Host,
                ["process"] = instance.Process,
                ["state"] = state,
                ["version"] = instance.ServiceVersion,
                ["tmqVersion"] = instance.TmqVersion,
                ["lastReportSeconds"] = Math.Max(0, (now - instance.SentAt).TotalSeconds),
                ["running"] = consumer.Running,
                ["paused"] = consumer.Paused,
                ["fault"] = consumer.Fault,
                ["assigned"] = consumer.Assigned,
                ["inFlight"] = consumer.InFlight,
                ["buffered"] = consumer.Buffered,
                ["backlog"] = consumer.System == "nsq" ? consumer.Depth.Values.Sum() : consumer.Lag.Values.Sum(),
                ["outcomes"] = Map(consumer.Outcomes),
                ["control"] = Map(consumer.Control),
            });
        }

        var history = new JsonObject();
        if (_history.TryGetValue((service, name), out var points))
        {
            var series = points.SelectMany(static p => p.Values.Keys).Distinct().Order(Comparer<string>.Create(NaturalOrder)).ToList();
            history["times"] = new JsonArray([.. points.Select(static p => (JsonNode?)p.At.ToUnixTimeMilliseconds())]);
            history["series"] = new JsonArray([.. series.Select(s => (JsonNode?)new JsonObject
            {
                ["name"] = s,
                ["values"] = new JsonArray([.. points.Select(p => p.Values.TryGetValue(s, out var v) ? (JsonNode?)v : null)]),
            })]);
        }

        var deadLetterTopic = first?.DeadLetterTopic;
        return new JsonObject
        {
            ["name"] = name,
            ["system"] = first?.System,
            ["topic"] = first?.Topic,
            ["group"] = first?.Group,
            ["deadLetterTopic"] = deadLetterTopic,
            ["deadLettersWaiting"] = deadLetterTopic is not null && _deadLetters.TryGetValue(deadLetterTopic, out var waiting) ? waiting : null,
            ["deadLettersUnknown"] = deadLetterTopic is not null && _deadLettersUnknown.TryGetValue(deadLetterTopic, out var why) ? why : null,
            ["deadLettered"] = deadLettered,
            ["live"] = live,
            ["paused"] = live > 0 && paused == live,
            ["instances"] = rows,
            ["history"] = history,
        };

        static JsonObject Map<T>(IReadOnlyDictionary<string, T> values)
        {
            var map = new JsonObject();
            foreach (var (key, value) in values.OrderBy(static v => v.Key, StringComparer.Ordinal))
            {
                map[key] = JsonValue.Create(value);
            }

            return map;
        }
    }

    /// <summary>Partition "10" after "9": numbers by value, the rest (nsqd addresses) as text.</summary>
    private static int NaturalOrder(string? a, string? b) =>
        long.TryParse(a, out var x) && long.TryParse(b, out var y) ? x.CompareTo(y) : string.CompareOrdinal(a, b);
}
