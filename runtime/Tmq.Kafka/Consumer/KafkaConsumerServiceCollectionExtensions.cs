using Microsoft.Extensions.Hosting;
using Tmq;
using Tmq.Kafka;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Registers Kafka consumers.</summary>
public static class KafkaConsumerServiceCollectionExtensions
{
    /// <summary>
    /// Registers a Kafka consumer named <paramref name="name"/> that runs <typeparamref name="THandler"/>,
    /// configured from <c>Tmq:Consumers:&lt;name&gt;</c> (validated at start-up). The handler is
    /// created once per consumer (from the container if registered there, else with its
    /// constructor's dependencies resolved); inject <c>IServiceScopeFactory</c> for scoped services.
    /// Call it once per consumer; each gets its own section, group and health check.
    /// </summary>
    /// <param name="services">The service collection.</param>
    /// <param name="name">The consumer's name. <value>Defaults to "main".</value></param>
    public static IServiceCollection AddTmqKafkaConsumer<THandler>(this IServiceCollection services, string name = "main")
        where THandler : class, IMessageHandler =>
        services.AddKafkaConsumer(name, static sp => ActivatorUtilities.GetServiceOrCreateInstance<THandler>(sp));

    /// <summary>
    /// Registers a Kafka consumer whose handler receives the payload deserialized from JSON; a
    /// payload that does not deserialize is dead-lettered without retries.
    /// </summary>
    /// <param name="services">The service collection.</param>
    /// <param name="name">The consumer's name. <value>Defaults to "main".</value></param>
    public static IServiceCollection AddTmqKafkaConsumer<THandler, TPayload>(this IServiceCollection services, string name = "main")
        where THandler : class, IMessageHandler<TPayload> =>
        services.AddKafkaConsumer(name, static sp => new JsonMessageHandler<TPayload>(ActivatorUtilities.GetServiceOrCreateInstance<THandler>(sp)));

    private static IServiceCollection AddKafkaConsumer(this IServiceCollection services, string name, Func<IServiceProvider, IMessageHandler> handler)
    {
        ArgumentNullException.ThrowIfNull(services);
        services.AddTmqConsumerOptions<KafkaConsumerOptions>(name);
        services.AddSingleton<IHostedService>(sp => new KafkaConsumerService(name, handler, sp));
        return services;
    }
}
