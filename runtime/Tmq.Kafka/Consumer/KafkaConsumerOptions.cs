namespace Tmq.Kafka;

/// <summary>
/// A Kafka consumer's settings, bound from <c>Tmq:Consumers:&lt;name&gt;</c>: the common
/// <see cref="ConsumerOptions"/> plus a <c>Kafka</c> block of librdkafka settings.
/// </summary>
public sealed class KafkaConsumerOptions : ConsumerOptions, ITransportOptionsValidation
{
    /// <summary>
    /// librdkafka consumer settings, passed through as they are (see librdkafka's CONFIGURATION.md),
    /// e.g. <c>"bootstrap.servers": "broker1:9092"</c>. Because environment variable names cannot
    /// hold dots, an underscore stands for a dot: <c>Tmq__Consumers__main__Kafka__bootstrap_servers</c>.
    /// <c>bootstrap.servers</c> is required; the group is <see cref="ConsumerOptions.Group"/>, not <c>group.id</c>. The runtime owns <c>enable.auto.offset.store</c> (always
    /// false: only finished messages are stored) and <c>enable.auto.commit</c> (always true: stored
    /// positions are committed in the background, and synchronously on revoke and shutdown).
    /// Values of keys naming passwords, secrets or keys are never logged.
    /// <value>Defaults to empty; tuned defaults are applied first (see <see cref="KafkaConsumerDefaults"/>).</value>
    /// </summary>
    public Dictionary<string, string> Kafka { get; } = new(StringComparer.Ordinal);

    /// <summary>Settings of the classic group protocol that librdkafka refuses with <c>group.protocol=consumer</c>.</summary>
    private static readonly string[] ClassicProtocolOnly = ["session.timeout.ms", "heartbeat.interval.ms", "partition.assignment.strategy", "group.protocol.type"];

    void ITransportOptionsValidation.Validate(string path, List<string> errors)
    {
        // With the Stop policy nothing is dead-lettered, so a default dead-letter name is never used.
        var deadLettersUsed = Retry?.OnExhausted != ExhaustedPolicy.Stop || !string.IsNullOrWhiteSpace(DeadLetter?.Topic);
        if (!string.IsNullOrWhiteSpace(Topic) && !KafkaTopicName.IsValid(Topic))
        {
            var regex = Topic.StartsWith('^') ? " (a consumer reads one topic: a regular expression subscription is not supported)" : "";
            errors.Add(ConsumerOptionsValidator.Problem($"{path}:Topic", $"is \"{Topic}\"; a Kafka topic name is {KafkaTopicName.Rule}{regex}"));
        }
        else if (!string.IsNullOrWhiteSpace(Topic) && deadLettersUsed && DeadLetter is not null && DeadLetter.ResolveTopic(Topic) is var deadLetters && !KafkaTopicName.IsValid(deadLetters))
        {
            var problem = string.IsNullOrWhiteSpace(DeadLetter.Topic)
                ? $"is not set, so it is the topic plus \".dlq\" (\"{deadLetters}\"), which is not a Kafka topic name ({KafkaTopicName.Rule}); set a shorter one"
                : $"is \"{DeadLetter.Topic}\"; a Kafka topic name is {KafkaTopicName.Rule}";
            errors.Add(ConsumerOptionsValidator.Problem($"{path}:DeadLetter:Topic", problem));
        }

        var settings = KafkaConsumerConfig.Normalize(Kafka);
        if (KafkaConsumerConfig.Bytes(settings, "fetch.max.bytes") is { } fetchBytes && fetchBytes < KafkaConsumerConfig.MinMessageMaxBytes)
        {
            errors.Add($"{path}:Kafka:fetch.max.bytes is {fetchBytes}; librdkafka needs it to be at least message.max.bytes, which is at least {KafkaConsumerConfig.MinMessageMaxBytes}. Raise it or remove it (the default is {KafkaConsumerDefaults.Settings["fetch.max.bytes"]}).");
        }

        if (!settings.TryGetValue("bootstrap.servers", out var servers) || string.IsNullOrWhiteSpace(servers))
        {
            errors.Add($"{path}:Kafka:bootstrap.servers is missing; the consumer needs the brokers to connect to, e.g. \"localhost:9092\". Set it in appsettings.json or as the environment variable {path.Replace(":", "__", StringComparison.Ordinal)}__Kafka__bootstrap_servers.");
        }
        else if (KafkaBootstrapServers.Problem(servers) is { } problem)
        {
            errors.Add($"{path}:Kafka:bootstrap.servers is \"{servers}\", and {problem}; it must be {KafkaBootstrapServers.Rule}. Fix it in appsettings.json or the environment variable {path.Replace(":", "__", StringComparison.Ordinal)}__Kafka__bootstrap_servers.");
        }

        if (KafkaConsumerConfig.IsKip848(settings))
        {
            // librdkafka refuses these too, but without saying which file to edit or that the
            // generated development settings are where they usually come from.
            foreach (var key in ClassicProtocolOnly.Where(settings.ContainsKey))
            {
                var instead = key == "partition.assignment.strategy" ? " (group.remote.assignor chooses the broker's assignor)" : "";
                errors.Add(
                    $"{path}:Kafka:{key} is set, but group.protocol is consumer (KIP-848), where the broker decides it{instead}. Remove it: a generated service's "
                    + "appsettings.Development.json sets session.timeout.ms and heartbeat.interval.ms for the classic protocol, and an environment variable cannot unset them.");
            }
        }

        // librdkafka would join this group while the logs, metrics, health and dead letters name
        // Group; the same value twice is harmless.
        if (settings.TryGetValue("group.id", out var groupId) && !string.Equals(groupId, Group, StringComparison.Ordinal))
        {
            errors.Add($"{path}:Kafka:group.id is \"{groupId}\"; the consumer group is {path}:Group (Tmq:Service when it is not set), which the runtime's logs, metrics and dead letters name. Set Group to it and remove group.id.");
        }

        foreach (var owned in KafkaConsumerConfig.Owned)
        {
            if (settings.TryGetValue(owned.Key, out var value) && !string.Equals(value, owned.Value, StringComparison.OrdinalIgnoreCase))
            {
                errors.Add($"{path}:Kafka:{owned.Key} is \"{value}\"; the runtime owns this setting ({owned.Value}) because it decides what is committed. Remove it.");
            }
        }
    }
}
