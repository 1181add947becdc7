using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Tmq.Control;

/// <summary>
/// What one running instance reports on the status topic every <see cref="ControlOptions.StatusInterval"/>
/// (and once more, <see cref="Stopping"/>, as it stops): who it is, what it consumes and how it is
/// doing. <c>tmqtool status</c> and the console read these; the latest report per
/// <see cref="Instance"/> is the instance's state, and one not renewed within three intervals
/// means the instance is gone.
/// </summary>
/// <remarks>
/// UTF-8 JSON, <c>"tmq": "status"</c>, <c>"version": 1</c>; on Kafka keyed by <see cref="Instance"/>.
/// Readers ignore properties they do not know.
/// </remarks>
public sealed record InstanceStatus
{
    /// <summary>The one format version written and read.</summary>
    public const int Version = 1;

    /// <summary>The longest reporting interval a report may state (a day).</summary>
    public const int MaxIntervalSeconds = 86_400;

    /// <summary>The largest report read.</summary>
    public const int MaxBytes = 256 * 1024;

    /// <summary>The service (Tmq:Service).</summary>
    public required string Service { get; init; }

    /// <summary>This instance's id, unique per process start: host/pid/random.</summary>
    public required string Instance { get; init; }

    /// <summary>The machine (or container) name.</summary>
    public required string Host { get; init; }

    /// <summary>The process id.</summary>
    public int Process { get; init; }

    /// <summary>The service's own version (its entry assembly's informational version).</summary>
    public string ServiceVersion { get; init; } = string.Empty;

    /// <summary>The Tmq runtime's version.</summary>
    public string TmqVersion { get; init; } = string.Empty;

    /// <summary>When the instance started.</summary>
    public DateTimeOffset StartedAt { get; init; }

    /// <summary>When this report was made.</summary>
    public DateTimeOffset SentAt { get; init; }

    /// <summary>How often the instance reports.</summary>
    public TimeSpan Interval { get; init; }

    /// <summary>The instance is stopping: its last report.</summary>
    public bool Stopping { get; init; }

    /// <summary>Tmq:Owner:Name: the team that owns the service.</summary>
    public string? Owner { get; init; }

    /// <summary>Tmq:Owner:AlertReceivers: where its alerts go.</summary>
    public IReadOnlyList<string> AlertReceivers { get; init; } = [];

    /// <summary>Its consumers.</summary>
    public IReadOnlyList<ConsumerStatusReport> Consumers { get; init; } = [];

    /// <summary>The report as UTF-8 JSON.</summary>
    public byte[] Encode()
    {
        var consumers = new JsonArray();
        foreach (var consumer in Consumers)
        {
            consumers.Add(new JsonObject
            {
                ["name"] = consumer.Name,
                ["system"] = consumer.System,
                ["topic"] = consumer.Topic,
                ["group"] = consumer.Group,
                ["running"] = consumer.Running,
                ["paused"] = consumer.Paused,
                ["fault"] = consumer.Fault,
                ["deadLetterTopic"] = consumer.DeadLetterTopic,
                ["assigned"] = consumer.Assigned,
                ["inFlight"] = consumer.InFlight,
                ["buffered"] = consumer.Buffered,
                ["lag"] = Object(consumer.Lag),
                ["depth"] = Object(consumer.Depth),
                ["outcomes"] = Object(consumer.Outcomes),
                ["control"] = Object(consumer.Control),
            });
        }

        var json = new JsonObject
        {
            ["tmq"] = "status",
            ["version"] = Version,
            ["service"] = Service,
            ["instance"] = Instance,
            ["host"] = Host,
            ["process"] = Process,
            ["serviceVersion"] = ServiceVersion,
            ["tmqVersion"] = TmqVersion,
            ["startedAt"] = StartedAt.ToString("O", CultureInfo.InvariantCulture),
            ["sentAt"] = SentAt.ToString("O", CultureInfo.InvariantCulture),
            ["intervalSeconds"] = Interval.TotalSeconds,
            ["stopping"] = Stopping,
            ["owner"] = Owner,
            ["alertReceivers"] = new JsonArray([.. AlertReceivers.Select(static r => (JsonNode?)r)]),
            ["consumers"] = consumers,
        };
        return JsonSerializer.SerializeToUtf8Bytes(json);

        static JsonObject Object<T>(IReadOnlyDictionary<string, T> values)
        {
            var result = new JsonObject();
            foreach (var (key, value) in values.OrderBy(static v => v.Key, StringComparer.Ordinal))
            {
                result[key] = JsonValue.Create(value);
            }

            return result;
        }
    }

    /// <summary>Reads a report, or says why the bytes are not one.</summary>
    public static bool TryDecode(ReadOnlySpan<byte> bytes, out InstanceStatus? status, out string error)
    {
        status = null;
        if (bytes.Length > MaxBytes)
        {
            error = $"it is {bytes.Length} bytes, more than the {MaxBytes} a status report may have";
            return false;
        }

        try
        {
            var root = JsonNode.Parse(bytes.ToArray()) as JsonObject;
            if (root is null || root["tmq"]?.GetValue<string>() != "status")
            {
                error = "it is not a status report (no \"tmq\": \"status\")";
                return false;
            }

            if (root["version"]?.GetValue<int>() is not { } version || version > Version || version < 1)
            {
                error = "its version is missing, or newer than this reader";
                return false;
            }

            var consumers = new List<ConsumerStatusReport>();
            foreach (var node in root["consumers"]?.AsArray() ?? [])
            {
                if (node is not JsonObject consumer)
                {
                    continue;
                }

                consumers.Add(new ConsumerStatusReport
                {
                    Name = Text(consumer["name"]) ?? string.Empty,
                    System = Text(consumer["system"]) ?? string.Empty,
                    Topic = Text(consumer["topic"]) ?? string.Empty,
                    Group = Text(consumer["group"]) ?? string.Empty,
                    Running = consumer["running"]?.GetValue<bool>() ?? false,
                    Paused = consumer["paused"]?.GetValue<bool>() ?? false,
                    Fault = Text(consumer["fault"]),
                    DeadLetterTopic = Text(consumer["deadLetterTopic"]),
                    Assigned = consumer["assigned"]?.GetValue<int>() ?? 0,
                    InFlight = consumer["inFlight"]?.GetValue<long>() ?? 0,
                    Buffered = consumer["buffered"]?.GetValue<long>() ?? 0,
                    Lag = Map(consumer["lag"], static n => n.GetValue<long>()),
                    Depth = Map(consumer["depth"], static n => n.GetValue<long>()),
                    Outcomes = Map(consumer["outcomes"], static n => n.GetValue<long>()),
                    Control = Map(consumer["control"], static n => n.GetValue<string>()),
                });
            }

            status = new InstanceStatus
            {
                Service = Text(root["service"]) ?? throw new FormatException("no service"),
                Instance = Text(root["instance"]) ?? throw new FormatException("no instance"),
                Host = Text(root["host"]) ?? string.Empty,
                Process = root["process"]?.GetValue<int>() ?? 0,
                ServiceVersion = Text(root["serviceVersion"]) ?? string.Empty,
                TmqVersion = Text(root["tmqVersion"]) ?? string.Empty,
                StartedAt = Time(root["startedAt"]),
                SentAt = Time(root["sentAt"]),
                Interval = Interval(root["intervalSeconds"]?.GetValue<double>() ?? 0),
                Stopping = root["stopping"]?.GetValue<bool>() ?? false,
                Owner = Text(root["owner"]),
                AlertReceivers = [.. (root["alertReceivers"]?.AsArray() ?? []).Select(Text).OfType<string>()],
                Consumers = consumers,
            };
            error = string.Empty;
            return true;
        }
        catch (Exception e) when (e is JsonException or FormatException or InvalidOperationException or OverflowException or ArgumentException)
        {
            error = $"it is not a readable status report ({e.Message})";
            return false;
        }

        // A reader judges "gone" by three intervals: a report cannot make that overflow.
        static TimeSpan Interval(double seconds) =>
            seconds is >= 0 and <= MaxIntervalSeconds ? TimeSpan.FromSeconds(seconds) : throw new FormatException($"intervalSeconds {seconds} is not within 0 to {MaxIntervalSeconds}");

        static string? Text(JsonNode? node) => node?.GetValue<string>();

        static DateTimeOffset Time(JsonNode? node) =>
            DateTimeOffset.Parse(Text(node) ?? throw new FormatException("a time is missing"), CultureInfo.InvariantCulture, DateTimeStyles.RoundtripKind);

        static Dictionary<string, T> Map<T>(JsonNode? node, Func<JsonNode, T> read) =>
            node is JsonObject values
                ? values.Where(static v => v.Value is not null).ToDictionary(static v => v.Key, v => read(v.Value!), StringComparer.Ordinal)
                : new Dictionary<string, T>(StringComparer.Ordinal);
    }
}

/// <summary>One consumer of an <see cref="InstanceStatus"/>.</summary>
public sealed record ConsumerStatusReport
{
    /// <summary>Its name (Tmq:Consumers:&lt;name&gt;).</summary>
    public required string Name { get; init; }

    /// <summary>kafka or nsq.</summary>
    public string System { get; init; } = string.Empty;

    /// <summary>The topic it consumes.</summary>
    public string Topic { get; init; } = string.Empty;

    /// <summary>Its consumer group (Kafka) or channel (NSQ).</summary>
    public string Group { get; init; } = string.Empty;

    /// <summary>Its loop runs.</summary>
    public bool Running { get; init; }

    /// <summary>Fetching is paused (the Paused setting, backpressure or a stopped partition).</summary>
    public bool Paused { get; init; }

    /// <summary>Why it stopped, if it did.</summary>
    public string? Fault { get; init; }

    /// <summary>Where it dead-letters; null from an instance too old to say.</summary>
    public string? DeadLetterTopic { get; init; }

    /// <summary>Partitions (Kafka) or nsqd connections (NSQ) held.</summary>
    public int Assigned { get; init; }

    /// <summary>Handler calls running.</summary>
    public long InFlight { get; init; }

    /// <summary>Messages fetched and not yet finished.</summary>
    public long Buffered { get; init; }

    /// <summary>Kafka: messages behind the end, per partition held.</summary>
    public IReadOnlyDictionary<string, long> Lag { get; init; } = new Dictionary<string, long>();

    /// <summary>NSQ: messages waiting in the channel, per nsqd.</summary>
    public IReadOnlyDictionary<string, long> Depth { get; init; } = new Dictionary<string, long>();

    /// <summary>Handler outcomes since the instance started (success, retry, dead_letter, ...).</summary>
    public IReadOnlyDictionary<string, long> Outcomes { get; init; } = new Dictionary<string, long>();

    /// <summary>The settings control messages have set on it.</summary>
    public IReadOnlyDictionary<string, string> Control { get; init; } = new Dictionary<string, string>();
}
