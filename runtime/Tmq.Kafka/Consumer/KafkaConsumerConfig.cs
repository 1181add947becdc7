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

    public static ConsumerConfig Build(KafkaConsumerOptions options, string group, string clientId)
    {
        var user = Normalize(options.Kafka);
        var settings = new Dictionary<string, string>(KafkaConsumerDefaults.Settings, StringComparer.Ordinal)
        {
            ["group.id"] = group,
            ["client.id"] = clientId,
        };
        var kip848 = user.TryGetValue("group.protocol", out var protocol) && string.Equals(protocol, "consumer", StringComparison.OrdinalIgnoreCase);
        if (!kip848)
        {
            settings["partition.assignment.strategy"] = KafkaConsumerDefaults.AssignmentStrategy;
        }

        // librdkafka refuses a fetch.max.bytes below message.max.bytes: a user who raises the message
        // limit (and leaves fetch.max.bytes alone) raises the fetch default with it.
        if (!user.ContainsKey(FetchMaxBytes)
            && user.TryGetValue("message.max.bytes", out var messageMax)
            && long.TryParse(messageMax, NumberStyles.Integer, CultureInfo.InvariantCulture, out var messageMaxBytes)
            && messageMaxBytes > long.Parse(settings[FetchMaxBytes], CultureInfo.InvariantCulture))
        {
            settings[FetchMaxBytes] = messageMax;
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
}
