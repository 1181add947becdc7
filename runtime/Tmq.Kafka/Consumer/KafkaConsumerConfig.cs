using System.Globalization;
using Confluent.Kafka;

namespace Tmq.Kafka;

/// <summary>Builds the librdkafka consumer configuration: tuned defaults, then the user's, then what the runtime owns.</summary>
internal static class KafkaConsumerConfig
{
    /// <summary>Settings the runtime must own for its commit guarantees.</summary>
    public static readonly IReadOnlyDictionary<string, string> Owned = new Dictionary<string, string>(StringComparer.Ordinal)
    {
        ["enable.auto.offset.store"] = "false",
        ["enable.auto.commit"] = "true",
    };

    private const string FetchMaxBytes = "fetch.max.bytes";
    private const string MessageMaxBytes = "message.max.bytes";

    /// <summary>The lowest message.max.bytes librdkafka accepts, so the lowest fetch.max.bytes too (KafkaConsumerOptions refuses less).</summary>
    public const long MinMessageMaxBytes = 1000;

    public static ConsumerConfig Build(KafkaConsumerOptions options, string group, string clientId)
    {
        var user = Normalize(options.Kafka);
        var settings = new Dictionary<string, string>(KafkaConsumerDefaults.Settings, StringComparer.Ordinal)
        {
            ["group.id"] = group,
            ["client.id"] = clientId,
        };
        if (!IsKip848(user))
        {
            settings["partition.assignment.strategy"] = KafkaConsumerDefaults.AssignmentStrategy;
        }

        // librdkafka refuses a fetch.max.bytes below message.max.bytes. A user who sets only one of
        // the two moves the other's default with it: raising the message limit raises the fetch
        // default, lowering the fetch limit lowers the message default (for a consumer it bounds only
        // the requests it sends, which are small).
        var userFetch = Bytes(user, FetchMaxBytes);
        var userMessage = Bytes(user, MessageMaxBytes);
        if (userFetch is null && userMessage > Bytes(settings, FetchMaxBytes))
        {
            settings[FetchMaxBytes] = user[MessageMaxBytes];
        }

        if (userMessage is null && userFetch < Bytes(settings, MessageMaxBytes))
        {
            settings[MessageMaxBytes] = user[FetchMaxBytes];
        }

        foreach (var (key, value) in user)
        {
            settings[key] = value;
        }

        foreach (var (key, value) in Owned)
        {
            settings[key] = value;
        }

        return new ConsumerConfig(settings);
    }

    /// <summary>Whether <paramref name="settings"/> (normalized) choose the KIP-848 group protocol, <c>group.protocol=consumer</c>.</summary>
    public static bool IsKip848(Dictionary<string, string> settings) =>
        settings.TryGetValue("group.protocol", out var protocol) && string.Equals(protocol, "consumer", StringComparison.OrdinalIgnoreCase);

    /// <summary>A byte count among <paramref name="settings"/>; null when absent or not a number (librdkafka then says so).</summary>
    public static long? Bytes(Dictionary<string, string> settings, string key) =>
        settings.TryGetValue(key, out var text) && long.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out var bytes) ? bytes : null;

    /// <summary>Keys as librdkafka spells them: an underscore stands for a dot (environment variables cannot hold dots).</summary>
    public static Dictionary<string, string> Normalize(IReadOnlyDictionary<string, string> settings)
    {
        var normalized = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var (key, value) in settings)
        {
            normalized[key.Trim().Replace('_', '.')] = value;
        }

        return normalized;
    }

    /// <summary>
    /// Whether a (normalized) librdkafka key says where and how to connect, not how to consume:
    /// what another client of the same service (its dead-letter producer, the control reader)
    /// takes from a consumer's <c>Kafka</c> block.
    /// </summary>
    public static bool IsConnectionSetting(string key) =>
        key == "bootstrap.servers" || key.StartsWith("security.", StringComparison.Ordinal) || key.StartsWith("sasl.", StringComparison.Ordinal) ||
        key.StartsWith("ssl.", StringComparison.Ordinal) || key.StartsWith("socket.", StringComparison.Ordinal) ||
        key == "broker.address.family" || key == "client.dns.lookup";
}
