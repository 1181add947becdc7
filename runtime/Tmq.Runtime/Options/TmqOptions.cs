namespace Tmq;

/// <summary>Service-wide settings, bound from the <c>Tmq</c> section.</summary>
public sealed class TmqOptions
{
    /// <summary>The configuration section these options are bound from.</summary>
    public const string SectionName = "Tmq";

    /// <summary>
    /// The service name (PSM, e.g. <c>shop.orders.consumer</c>): client id, default group or
    /// channel, and telemetry service name. <value>Defaults to empty; required by the transports.</value>
    /// </summary>
    public string Service { get; set; } = string.Empty;
}
