using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Tmq;
using Tmq.Kafka;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Registers the Kafka <see cref="ITmqProducer"/>.</summary>
public static class KafkaProducerServiceCollectionExtensions
{
    /// <summary>
    /// Registers one shared Kafka <see cref="ITmqProducer"/>, configured from
    /// <paramref name="sectionPath"/> (validated at start-up) and then <paramref name="configure"/>.
    /// It is built when the host starts, so that a setting librdkafka refuses fails the start.
    /// The container disposes it on shutdown, flushing messages in flight.
    /// </summary>
    /// <param name="services">The service collection.</param>
    /// <param name="configure">Changes applied after binding. <value>Defaults to none.</value></param>
    /// <param name="sectionPath">The configuration section. <value>Defaults to <c>Tmq:Producer</c>.</value></param>
    public static IServiceCollection AddTmqKafkaProducer(
        this IServiceCollection services,
        Action<KafkaProducerOptions>? configure = null,
        string sectionPath = KafkaProducerOptions.SectionName)
    {
        ArgumentNullException.ThrowIfNull(services);
        services.AddTmqCore();
        var options = services.AddOptions<KafkaProducerOptions>().BindTmqSettings(sectionPath).ValidateDataAnnotations();
        if (configure is not null)
        {
            // A Configure: it runs before the validation, which is a PostConfigure.
            options.Configure(configure);
        }
        services.TryAddSingleton(sp => new KafkaProducer(
            sp.GetRequiredService<IOptions<KafkaProducerOptions>>().Value,
            sp.GetService<ILoggerFactory>()?.CreateLogger("Tmq.Kafka.Producer"),
            sp.GetService<IOptions<TmqOptions>>()?.Value.Service,
            sp.GetService<Tmq.Telemetry.TmqMetrics>(),
            $"{sectionPath} and its Kafka section"));
        services.TryAddSingleton<ITmqProducer>(sp => sp.GetRequiredService<KafkaProducer>());
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IHostedService, KafkaProducerStartup>());
        return services;
    }
}
