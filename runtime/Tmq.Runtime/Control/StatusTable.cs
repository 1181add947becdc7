using System.Globalization;

namespace Tmq.Control;

/// <summary>
/// The latest <see cref="InstanceStatus"/> of each instance, as <c>tmqtool status</c> prints them:
/// per service its owner, then a line per instance and consumer. An instance is <c>live</c> while
/// its reports come, <c>stopped</c> once it said so, and <c>gone</c> when none came for three of its
/// intervals (killed, or cut off from the broker).
/// </summary>
public static class StatusTable
{
    private static readonly string[] OutcomeOrder = ["success", "retry", "dead_letter", "requeue", "stopped", "cancelled"];

    /// <summary>What an instance is, judged at <paramref name="now"/>.</summary>
    public static string State(InstanceStatus status, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(status);
        return status.Stopping ? "stopped"
            : now - status.SentAt > (status.Interval > TimeSpan.Zero ? status.Interval * 3 : TimeSpan.FromSeconds(15)) ? "gone"
            : "live";
    }

    /// <summary>
    /// Keeps the latest report per instance of <paramref name="reports"/> (in arrival order), for
    /// <paramref name="service"/> or every service, and writes them; returns the number of live instances.
    /// </summary>
    public static int Write(TextWriter output, IEnumerable<InstanceStatus> reports, DateTimeOffset now, string? service)
    {
        ArgumentNullException.ThrowIfNull(output);
        ArgumentNullException.ThrowIfNull(reports);
        var latest = new Dictionary<string, InstanceStatus>(StringComparer.Ordinal);
        foreach (var report in reports)
        {
            if ((service is null || report.Service == service) &&
                (!latest.TryGetValue(report.Instance, out var seen) || seen.SentAt <= report.SentAt))
            {
                latest[report.Instance] = report;
            }
        }

        var live = 0;
        foreach (var group in latest.Values.GroupBy(static s => s.Service).OrderBy(static g => g.Key, StringComparer.Ordinal))
        {
            var newest = group.MaxBy(static s => s.SentAt)!;
            var owner = newest.Owner is { Length: > 0 } name ? $"owner {name}" : "no owner (set Tmq:Owner:Name)";
            var alerts = newest.AlertReceivers.Count > 0 ? $"; alerts to {string.Join(", ", newest.AlertReceivers)}" : string.Empty;
            output.WriteLine($"{group.Key}: {owner}{alerts}");
            foreach (var instance in group.OrderBy(static s => s.StartedAt).ThenBy(static s => s.Instance, StringComparer.Ordinal))
            {
                var state = State(instance, now);
                live += state == "live" ? 1 : 0;
                var seen = Ago(now - instance.SentAt);
                output.WriteLine($"  {instance.Instance} {state}: version {Show(instance.ServiceVersion)} (Tmq {Show(instance.TmqVersion)}), up {Ago(instance.SentAt - instance.StartedAt)}, last report {seen} ago");
                foreach (var consumer in instance.Consumers)
                {
                    output.WriteLine("    " + Describe(consumer));
                }

                if (instance.Consumers.Count == 0)
                {
                    output.WriteLine("    no consumer running");
                }
            }
        }

        var counts = latest.Values.Where(s => service is null || s.Service == service).GroupBy(s => State(s, now)).ToDictionary(static g => g.Key, static g => g.Count());
        output.WriteLine(latest.Count == 0
            ? $"No instance{(service is null ? "" : " of " + service)} has reported."
            : $"{counts.GetValueOrDefault("live")} live, {counts.GetValueOrDefault("gone")} gone, {counts.GetValueOrDefault("stopped")} stopped instance(s){(service is null ? "" : " of " + service)}.");
        return live;
    }

    private static string Describe(ConsumerStatusReport consumer)
    {
        var kafka = consumer.System == "kafka";
        var state = consumer.Fault is { Length: > 0 } fault ? $"failed ({fault})" : !consumer.Running ? "not running" : consumer.Paused ? "paused" : "consuming";
        var backlog = kafka
            ? $"lag {consumer.Lag.Values.Sum()} over {consumer.Assigned} partition(s)"
            : $"depth {consumer.Depth.Values.Sum()} over {consumer.Assigned} nsqd connection(s)";
        var outcomes = string.Join(" ", consumer.Outcomes
            .Where(static o => o.Value > 0 || o.Key is "success" or "retry" or "dead_letter")
            .OrderBy(static o => Array.IndexOf(OutcomeOrder, o.Key) is var i and >= 0 ? i : OutcomeOrder.Length)
            .ThenBy(static o => o.Key, StringComparer.Ordinal)
            .Select(static o => $"{o.Key} {o.Value.ToString(CultureInfo.InvariantCulture)}"));
        var control = consumer.Control.Count > 0 ? "; control " + string.Join(", ", consumer.Control.OrderBy(static c => c.Key, StringComparer.Ordinal).Select(static c => $"{c.Key}={c.Value}")) : string.Empty;
        return $"{consumer.Name}: {state}, {consumer.System} {consumer.Topic} {(kafka ? "group" : "channel")} {consumer.Group}, {backlog}, in flight {consumer.InFlight}, buffered {consumer.Buffered}; {outcomes}{control}";
    }

    private static string Show(string version) => version.Length > 0 ? version : "?";

    private static string Ago(TimeSpan span) =>
        span < TimeSpan.Zero ? "0s"
        : span.TotalSeconds < 120 ? $"{(int)span.TotalSeconds}s"
        : span.TotalMinutes < 120 ? $"{(int)span.TotalMinutes}m"
        : span.TotalHours < 48 ? $"{(int)span.TotalHours}h"
        : $"{(int)span.TotalDays}d";
}
