using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace Tmq.Hosting;

/// <summary>
/// One consumer's health: unhealthy when its loop died or the Stop policy halted a partition;
/// degraded while it holds no partitions (more instances than partitions, or mid-rebalance);
/// healthy otherwise, also while the Paused option holds fetching (a pause on purpose is no reason
/// to restart the service), which the description and data say.
/// </summary>
internal sealed class ConsumerHealthCheck(ConsumerStatus status) : IHealthCheck
{
    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        var data = new Dictionary<string, object>
        {
            ["running"] = status.Running,
            ["assigned"] = status.Assigned,
            ["stopped_partitions"] = status.HasStoppedPartitions,
            ["paused"] = status.Paused,
        };
        var result = status switch
        {
            { Fault: { } fault } => HealthCheckResult.Unhealthy($"Consumer {status.Name} stopped: {fault}", data: data),
            { HasStoppedPartitions: true } => HealthCheckResult.Unhealthy($"Consumer {status.Name} {(status.Partitioned ? "halted a partition" : "stopped taking messages")} under the Stop policy; see the log (event 1004) for the message, fix it, then restart.", data: data),
            { Running: false } => HealthCheckResult.Unhealthy($"Consumer {status.Name} is not running.", data: data),
            { Assigned: 0 } => HealthCheckResult.Degraded(
                status.Partitioned ? $"Consumer {status.Name} holds no partitions." : $"Consumer {status.Name} is connected to no nsqd (none is reachable, or none has its topic yet).",
                data: data),
            { Paused: true } => HealthCheckResult.Healthy($"Consumer {status.Name} is paused (the Paused option is set).", data),
            _ => HealthCheckResult.Healthy($"Consumer {status.Name} is consuming.", data),
        };
        return Task.FromResult(result);
    }
}
