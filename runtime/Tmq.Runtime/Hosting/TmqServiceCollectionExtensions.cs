using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Options;
using Tmq.Hosting;
using Tmq.Telemetry;

namespace Tmq;

/// <summary>Registration of the transport-neutral runtime services.</summary>
public static class TmqServiceCollectionExtensions
{
    /// <summary>
    /// Registers what every transport needs: <see cref="TmqOptions"/> bound from <c>Tmq</c>, the
    /// <c>Tmq</c> meter and health checks. Transports call it; calling it again does nothing.
    /// </summary>
    public static IServiceCollection AddTmqCore(this IServiceCollection services)
    {
        ArgumentNullException.ThrowIfNull(services);
        if (services.Any(static d => d.ServiceType == typeof(TmqMetrics)))
        {
            return services;
        }

        services.AddOptions<TmqOptions>().BindConfiguration(TmqOptions.SectionName);
        services.AddMetrics();
        services.TryAddSingleton(static sp => new TmqMetrics(sp.GetService<System.Diagnostics.Metrics.IMeterFactory>()));
        services.TryAddSingleton(TimeProvider.System);
        services.AddHealthChecks();
        return services;
    }

    /// <summary>
    /// Binds and validates consumer <paramref name="name"/>'s options from <c>Tmq:Consumers:&lt;name&gt;</c>,
    /// checked at start-up, and registers its health check. For transports.
    /// </summary>
    internal static ConsumerStatus AddTmqConsumerOptions<TOptions>(this IServiceCollection services, string name)
        where TOptions : ConsumerOptions
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        if (services.Any(d => d.ServiceType == typeof(ConsumerStatus) && d.IsKeyedService && Equals(d.ServiceKey, name)))
        {
            throw new InvalidOperationException($"A consumer named '{name}' is already registered. Give each consumer its own name (and its own section Tmq:Consumers:<name>).");
        }

        services.AddTmqCore();
        var path = ConsumerOptionsValidator.ConsumerPath(name);
        services.AddOptions<TOptions>(name)
            .Configure<IConfiguration>((_, configuration) => ConfigurationTypeCheck.ThrowIfInvalid(configuration, path, typeof(TOptions), name))
            .BindConfiguration(path)
            .ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<TOptions>, ConsumerOptionsValidator<TOptions>>());
        var status = new ConsumerStatus(name);
        services.AddKeyedSingleton(name, status);
        services.AddHealthChecks().Add(new HealthCheckRegistration(
            $"tmq-consumer-{name}",
            _ => new ConsumerHealthCheck(status),
            HealthStatus.Unhealthy,
            ["tmq", "consumer"]));
        return status;
    }
}
