using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using Tmq;
using Tmq.Control;
using Tmq.Kafka;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Registers the reader of Kafka control messages (<c>tmqtool pause</c>, <c>resume</c>, <c>set</c>).</summary>
public static class KafkaControlServiceCollectionExtensions
{
    /// <summary>
    /// Lets the fleet be steered through Kafka: every instance reads the control topic
    /// (<c>Tmq:Control:Topic</c>, default <c>tmq.control</c>) in full, without joining a group, and
    /// applies the live settings (Concurrency, Paused, Retry) sent to its service (<c>Tmq:Service</c>)
    /// or to one of its consumers. Control settings take precedence over appsettings.json,
    /// environment variables and the command line until they are cleared. It starts before every
    /// hosted service registered so far or later, so a restarted instance applies the latest state
    /// before its consumers fetch. Every instance also reports its status to
    /// <c>Tmq:Control:StatusTopic</c> (default <c>tmq.status</c>) every <c>Tmq:Control:StatusInterval</c>
    /// (5 s), for <c>tmqtool status</c>.
    /// </summary>
    /// <param name="services">The service collection.</param>
    public static IServiceCollection AddTmqKafkaControl(this IServiceCollection services)
    {
        ArgumentNullException.ThrowIfNull(services);
        services.AddTmqCore();
        services.AddOptions<KafkaControlOptions>().BindTmqSettings(ControlOptions.SectionName);
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<KafkaControlOptions>, ControlOptionsValidator<KafkaControlOptions>>());
        services.TryAddSingleton<ControlOverrides>();
        services.TryAddSingleton(static sp => new ControlApplier(sp));
        var listener = ServiceDescriptor.Singleton<IHostedService>(static sp => new KafkaControlListener(sp));
        var first = services.Select((d, i) => (d, i)).FirstOrDefault(static x => x.d.ServiceType == typeof(IHostedService)) is var (descriptor, index) && descriptor is not null ? index : services.Count;
        services.Insert(first, listener);

        // Last: it starts after the consumers (it reports on them) and stops before them, saying so.
        services.AddSingleton<IHostedService>(static sp => new KafkaStatusPublisher(sp));
        return services;
    }
}
