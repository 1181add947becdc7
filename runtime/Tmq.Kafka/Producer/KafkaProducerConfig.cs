using Confluent.Kafka;

namespace Tmq.Kafka;

/// <summary>Turns <see cref="KafkaProducerOptions"/> into librdkafka settings.</summary>
internal static class KafkaProducerConfig
{
    public const string DefaultClientId = "tmq-producer";

    public static ProducerConfig Build(KafkaProducerOptions options, string? serviceName)
    {
        var config = new ProducerConfig
        {
            BootstrapServers = options.BootstrapServers,
            ClientId = options.ClientId ?? (string.IsNullOrWhiteSpace(serviceName) ? DefaultClientId : serviceName),
            EnableIdempotence = options.EnableIdempotence,
            Acks = Acks.All,
            LingerMs = options.Linger.TotalMilliseconds,
            CompressionType = options.Compression,
            MessageTimeoutMs = (int)options.DeliveryTimeout.TotalMilliseconds,

            // Confluent.Kafka marshals every field of every delivery report by default; we read
            // only these (partition and offset always come).
            DeliveryReportFields = "timestamp,status",
        };

        // Unknown keys go straight to librdkafka, which rejects misspelt ones at Build().
        foreach (var (key, value) in options.Kafka)
        {
            config.Set(key, value);
        }

        return config;
    }
}
