using System.ComponentModel.DataAnnotations;
using Confluent.Kafka;

namespace Tmq.Kafka;

/// <summary>Settings of the Kafka producer (section <c>Tmq:Producer</c>).</summary>
public sealed class KafkaProducerOptions : IValidatableObject
{
    /// <summary>The configuration section bound by <c>AddTmqKafkaProducer</c>.</summary>
    public const string SectionName = "Tmq:Producer";

    /// <summary>The <c>bootstrap.servers</c> list, e.g. <c>kafka-1:9092,kafka-2:9092</c>. <value>Required.</value></summary>
    [Required(AllowEmptyStrings = false, ErrorMessage = "Tmq:Producer:BootstrapServers is required: set it to the Kafka brokers, e.g. 'kafka-1:9092,kafka-2:9092'.")]
    public string BootstrapServers { get; set; } = string.Empty;

    /// <summary>The <c>client.id</c> brokers log and quota by. <value>Defaults to null: the service name (<c>Tmq:Service</c>), else <c>tmq-producer</c>.</value></summary>
    public string? ClientId { get; set; }

    /// <summary>
    /// Idempotent producing (<c>enable.idempotence</c>): no duplicates or reordering from the
    /// client's own retries. Implies <c>acks=all</c>.
    /// <value>Defaults to true.</value>
    /// </summary>
    public bool EnableIdempotence { get; set; } = KafkaProducerDefaults.EnableIdempotence;

    /// <summary>
    /// How long the client waits to fill a batch before sending it (<c>linger.ms</c>).
    /// <value>Defaults to 1 ms: an awaited send pays the whole linger, so it is kept short (5 ms cut
    /// the throughput of 16 awaiting handlers from 12k to 3.1k msg/s in our measurement), while
    /// still batching about 3 messages per request at 5,000 msg/s where 0 sends one request per
    /// message. Raise it for bulk producers.</value>
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:00", "00:00:05", ErrorMessage = "Tmq:Producer:Linger must be between 0 and 5 seconds (it adds to every send's latency).")]
    public TimeSpan Linger { get; set; } = KafkaProducerDefaults.Linger;

    /// <summary>
    /// Batch compression (<c>compression.type</c>).
    /// <value>Defaults to <see cref="CompressionType.Lz4"/>: about 4 times fewer bytes on the wire
    /// and on disk for typical JSON at no measurable throughput cost; zstd compresses twice as
    /// much again but cost up to a third of the throughput.</value>
    /// </summary>
    public CompressionType Compression { get; set; } = KafkaProducerDefaults.Compression;

    /// <summary>
    /// How long a send may take, retries included, before it fails (<c>delivery.timeout.ms</c>).
    /// <value>Defaults to 30 s: enough for a leader election or a broker restart, then the caller's
    /// own retry policy takes over (librdkafka's 5 minutes would keep a handler stuck through an outage).</value>
    /// </summary>
    public TimeSpan DeliveryTimeout { get; set; } = KafkaProducerDefaults.DeliveryTimeout;

    /// <summary>
    /// How long disposing waits for messages still in flight before abandoning them (they then fail).
    /// <value>Defaults to 10 s, which leaves room for draining consumers in a host's default 30 s shutdown.</value>
    /// </summary>
    public TimeSpan FlushTimeout { get; set; } = KafkaProducerDefaults.FlushTimeout;

    /// <summary>
    /// librdkafka settings passed through unchanged (e.g. <c>security.protocol</c>,
    /// <c>sasl.username</c>, <c>sasl.password</c>); they override the typed settings above.
    /// Values of keys that look secret (password, secret, key, token) are never logged.
    /// <value>Defaults to empty.</value>
    /// </summary>
    public Dictionary<string, string> Kafka { get; } = new(StringComparer.Ordinal);

    /// <inheritdoc />
    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        if (DeliveryTimeout < TimeSpan.FromSeconds(1) || DeliveryTimeout > TimeSpan.FromMinutes(30))
        {
            yield return new ValidationResult(
                $"Tmq:Producer:DeliveryTimeout is {DeliveryTimeout}; it must be between 1 second and 30 minutes.", [nameof(DeliveryTimeout)]);
        }

        if (FlushTimeout < TimeSpan.Zero || FlushTimeout > TimeSpan.FromMinutes(5))
        {
            yield return new ValidationResult(
                $"Tmq:Producer:FlushTimeout is {FlushTimeout}; it must be between 0 and 5 minutes.", [nameof(FlushTimeout)]);
        }

        if (!string.IsNullOrWhiteSpace(BootstrapServers) && KafkaBootstrapServers.Problem(BootstrapServers) is { } problem)
        {
            yield return new ValidationResult(
                $"Tmq:Producer:BootstrapServers is \"{BootstrapServers}\", and {problem}; it must be {KafkaBootstrapServers.Rule}.", [nameof(BootstrapServers)]);
        }

        foreach (var (key, _) in Kafka)
        {
            if (string.IsNullOrWhiteSpace(key))
            {
                yield return new ValidationResult("Tmq:Producer:Kafka has an empty key; remove it.", [nameof(Kafka)]);
            }
        }
    }
}
