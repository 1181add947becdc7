using Tmq.Control;

namespace Tmq.Kafka;

/// <summary>
/// How an instance reads control messages from Kafka, bound from <c>Tmq:Control</c>: the topic, and
/// optionally a <c>Kafka</c> block of librdkafka settings. Without one, the connection and security
/// settings (bootstrap.servers, security.*, sasl.*, ssl.*, socket.*) of the first Kafka consumer
/// are used.
/// </summary>
public sealed class KafkaControlOptions : ControlOptions
{
    /// <summary>librdkafka settings for the control reader. <value>Defaults to none: the first Kafka consumer's connection settings.</value></summary>
    public Dictionary<string, string> Kafka { get; } = new(StringComparer.Ordinal);

    /// <inheritdoc />
    public override IEnumerable<string> Problems()
    {
        foreach (var problem in base.Problems())
        {
            yield return problem;
        }

        if (!KafkaTopicName.IsValid(Topic))
        {
            yield return $"{SectionName}:Topic is \"{Topic}\"; a Kafka topic name is {KafkaTopicName.Rule}.";
        }
    }
}
