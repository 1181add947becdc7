using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using Tmq.Control;
using Tmq.Hosting;
using Tmq.Telemetry;

namespace Tmq;

/// <summary>Registration of the transport-neutral runtime services.</summary>
public static class TmqServiceCollectionExtensions
{
    /// <summary>
    /// Registers what every transport needs: <see cref="TmqOptions"/> bound from <c>Tmq</c>, the
    /// <c>Tmq</c> meter, health checks, and an error in the log when a settings file that reloads
    /// on change (appsettings.json) is saved unreadable. Transports call it; calling it again does nothing.
    /// </summary>
    public static IServiceCollection AddTmqCore(this IServiceCollection services)
    {
        ArgumentNullException.ThrowIfNull(services);
        if (services.Any(static d => d.ServiceType == typeof(TmqMetrics)))
        {
            return services;
        }

        services.AddOptions<TmqOptions>().BindConfiguration(TmqOptions.SectionName).ThrowSettingsFailures();
        TmqStartupValidator.Decorate(services);
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<TmqOptions>, TmqOptionsValidator>());
        services.AddMetrics();
        services.TryAddSingleton(static sp => new TmqMetrics(sp.GetService<System.Diagnostics.Metrics.IMeterFactory>()));
        services.TryAddSingleton(TimeProvider.System);
        services.AddHealthChecks();
        services.AddHostedService<SettingsFileWatch>();
        return services;
    }

    /// <summary>
    /// Serves the health checks over HTTP for a liveness probe: <c>GET /healthz</c> on port 9464 (on
    /// every interface) answers 200 while every consumer runs, 503 once one has stopped (its loop
    /// failed, or the Stop policy halted a partition), with a JSON report of each consumer. Port and
    /// path are <c>Tmq:Health:Port</c> (0 turns it off) and <c>Tmq:Health:Path</c>, checked at start-up;
    /// a port another process holds stops the start with a message that says so.
    /// </summary>
    public static IServiceCollection AddTmqHealthEndpoint(this IServiceCollection services)
    {
        ArgumentNullException.ThrowIfNull(services);
        if (services.Any(static d => d.ServiceType == typeof(IHostedService) && d.ImplementationType == typeof(HealthEndpoint)))
        {
            return services;
        }

        services.AddTmqCore();
        services.AddOptions<HealthEndpointOptions>().BindTmqSettings(HealthEndpointOptions.SectionName);
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<HealthEndpointOptions>, HealthEndpointOptionsValidator>());
        services.AddHostedService<HealthEndpoint>();
        return services;
    }

    /// <summary>
    /// Binds and validates consumer <paramref name="name"/>'s options from <c>Tmq:Consumers:&lt;name&gt;</c>,
    /// checked at start-up, and registers its health check. For transports.
    /// </summary>
    internal static ConsumerStatus AddTmqConsumerOptions<TOptions>(this IServiceCollection services, string name)
        where TOptions : ConsumerOptions, new()
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        if (services.Any(d => d.ServiceType == typeof(ConsumerStatus) && d.IsKeyedService && Equals(d.ServiceKey, name)))
        {
            throw new InvalidOperationException($"A consumer named '{name}' is already registered. Give each consumer its own name (and its own section Tmq:Consumers:<name>).");
        }

        services.AddTmqCore();
        var path = ConsumerOptionsValidator.ConsumerPath(name);
        services.AddOptions<TOptions>(name).BindTmqSettings(path)
            .Configure<ControlOverrides>((options, control) => control.Apply(name, options));
        services.TryAddSingleton<ControlOverrides>();
        services.AddSingleton<IOptionsChangeTokenSource<TOptions>>(sp => new ControlChangeTokenSource<TOptions>(name, sp.GetRequiredService<ControlOverrides>()));
        services.AddSingleton(new ControlTarget(name, sp => sp.GetRequiredService<IOptionsFactory<TOptions>>().Create(name)));
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<TOptions>, ConsumerOptionsValidator<TOptions>>());
        var status = new ConsumerStatus(name);
        services.AddKeyedSingleton(name, status);
        services.AddSingleton(status);
        services.AddHealthChecks().Add(new HealthCheckRegistration(
            $"tmq-consumer-{name}",
            _ => new ConsumerHealthCheck(status),
            HealthStatus.Unhealthy,
            ["tmq", "consumer"]));
        return status;
    }
}
