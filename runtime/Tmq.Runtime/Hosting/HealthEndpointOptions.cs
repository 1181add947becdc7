namespace Tmq;

/// <summary>
/// The HTTP health endpoint (<c>AddTmqHealthEndpoint</c>), bound from <c>Tmq:Health</c>: a
/// liveness probe for an orchestrator that restarts a service whose consumer has stopped.
/// </summary>
public sealed class HealthEndpointOptions
{
    /// <summary>The configuration section these options are bound from.</summary>
    public const string SectionName = "Tmq:Health";

    /// <summary>
    /// The port, on every interface so that a container can be probed; 0 turns the endpoint off.
    /// It may be the port of the Prometheus listener: each answers its own path.
    /// <value>Defaults to 9464, the generated service's metrics port: one port to expose.</value>
    /// </summary>
    public int Port { get; set; } = 9464;

    /// <summary>The path that answers. <value>Defaults to <c>/healthz</c>.</value></summary>
    public string Path { get; set; } = "/healthz";
}
