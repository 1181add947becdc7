using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Tmq.Control;

namespace Tmq.Kafka;

/// <summary>Where the control reader and the status reports connect: Tmq:Control:Kafka, or the first Kafka consumer's connection settings.</summary>
internal static class KafkaControlConnection
{
    /// <summary>The librdkafka settings to connect with.</summary>
    /// <exception cref="TmqSettingsException">Neither is there.</exception>
    public static Dictionary<string, string> Settings(IServiceProvider services, KafkaControlOptions options, ControlApplier applier)
    {
        if (options.Kafka.Count > 0)
        {
            return KafkaConsumerConfig.Normalize(options.Kafka);
        }

        var monitor = services.GetRequiredService<IOptionsMonitor<KafkaConsumerOptions>>();
        foreach (var name in applier.Consumers)
        {
            var settings = KafkaConsumerConfig.Normalize(monitor.Get(name).Kafka);
            if (settings.ContainsKey("bootstrap.servers"))
            {
                return settings.Where(static s => KafkaConsumerConfig.IsConnectionSetting(s.Key)).ToDictionary(StringComparer.Ordinal);
            }
        }

        throw new TmqSettingsException(
            ControlOptions.SectionName,
            typeof(KafkaControlOptions),
            $"{ControlOptions.SectionName}:Kafka is not set and no Kafka consumer has bootstrap.servers to borrow: set {ControlOptions.SectionName}:Kafka:bootstrap.servers, or register a Kafka consumer before the control reader.");
    }
}
