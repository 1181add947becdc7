using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Tmq;
using Tmq.Nsq;
using Tmq.Nsq.Hosting;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Registers NSQ consumers and the NSQ producer.</summary>
public static class NsqServiceCollectionExtensions
{
    /// <summary>
    /// Registers an NSQ consumer named <paramref name="name"/> that runs <typeparamref name="THandler"/>,
    /// configured from <c>Tmq:Consumers:&lt;name&gt;</c> (Topic, Channel and an Nsq block; validated at
    /// start-up). The handler is created once per consumer (from the container if registered there,
    /// else with its constructor's dependencies resolved). Call it once per consumer.
    /// </summary>
    /// <param name="services">The service collection.</param>
    /// <param name="name">The consumer's name. <value>Defaults to "main".</value></param>
    public static IServiceCollection AddTmqNsqConsumer<THandler>(this IServiceCollection services, string name = "main")
        where THandler : class, IMessageHandler =>
        services.AddNsqConsumer(name, static sp => ActivatorUtilities.GetServiceOrCreateInstance<THandler>(sp));

    /// <summary>
    /// Registers an NSQ consumer whose handler receives the payload deserialized from JSON; a payload
    /// that does not deserialize is dead-lettered without retries.
    /// </summary>
    /// <param name="services">The service collection.</param>
    /// <param name="name">The consumer's name. <value>Defaults to "main".</value></param>
    public static IServiceCollection AddTmqNsqConsumer<THandler, TPayload>(this IServiceCollection services, string name = "main")
        where THandler : class, IMessageHandler<TPayload> =>
        services.AddNsqConsumer(name, static sp => new JsonMessageHandler<TPayload>(ActivatorUtilities.GetServiceOrCreateInstance<THandler>(sp)));

    /// <summary>
    /// Registers one shared NSQ <see cref="ITmqProducer"/> (also as <see cref="NsqProducer"/>, for
    /// DPUB and MPUB), configured from <paramref name="sectionPath"/> (validated at start-up) and then
    /// <paramref name="configure"/>. The container disposes it on shutdown.
    /// </summary>
    /// <param name="services">The service collection.</param>
    /// <param name="configure">Changes applied after binding. <value>Defaults to none.</value></param>
    /// <param name="sectionPath">The configuration section. <value>Defaults to <c>Tmq:Producer</c>.</value></param>
    public static IServiceCollection AddTmqNsqProducer(this IServiceCollection services, Action<NsqProducerOptions>? configure = null, string sectionPath = NsqProducerOptions.SectionName)
    {
        ArgumentNullException.ThrowIfNull(services);
        services.AddTmqCore();
        var options = services.AddOptions<NsqProducerOptions>().BindTmqSettings(sectionPath);
        if (configure is not null)
        {
            options.Configure(configure);
        }

        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<NsqProducerOptions>>(new NsqProducerOptionsValidator(sectionPath)));
        services.TryAddSingleton(sp => new NsqProducer(
            sp.GetRequiredService<IOptions<NsqProducerOptions>>().Value,
            ProducerClientId(sp),
            sp.GetService<ILoggerFactory>()?.CreateLogger("Tmq.Nsq.Producer"),
            sp.GetService<Tmq.Telemetry.TmqMetrics>(),
            sp.GetService<TimeProvider>()));
        services.TryAddSingleton<ITmqProducer>(sp => sp.GetRequiredService<NsqProducer>());
        return services;
    }

    private static string ProducerClientId(IServiceProvider services) =>
        services.GetRequiredService<IOptions<NsqProducerOptions>>().Value.ClientId is { Length: > 0 } id ? id
        : services.GetService<IOptions<TmqOptions>>()?.Value.Service is { Length: > 0 } service ? service
        : "tmq-producer";

    private static IServiceCollection AddNsqConsumer(this IServiceCollection services, string name, Func<IServiceProvider, IMessageHandler> handler)
    {
        ArgumentNullException.ThrowIfNull(services);
        services.AddTmqConsumerOptions<NsqConsumerOptions>(name);
        services.AddSingleton<IHostedService>(sp => new NsqConsumerService(name, handler, sp));
        return services;
    }
}
