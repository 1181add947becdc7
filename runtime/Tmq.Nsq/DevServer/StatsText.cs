using System.Globalization;
using System.Text;

namespace Tmq.Nsq.DevServer;

/// <summary>nsqd's plain-text <c>/stats</c> (without <c>format=json</c>), laid out as nsqd lays it out.</summary>
/// <remarks>Requires <see cref="DevBroker.Gate"/>.</remarks>
internal static class StatsText
{
    public static string Write(DevBroker broker, StatsQuery query)
    {
        var w = new StringBuilder();
        var uptime = broker.Now - broker.StartTime;
        w.Append(CultureInfo.InvariantCulture, $"nsqd v{IdentifyCommand.Version} (Tmq.Nsq development server)\n");
        w.Append(CultureInfo.InvariantCulture, $"start_time {broker.StartTime.UtcDateTime:yyyy-MM-ddTHH:mm:ssZ}\n");
        w.Append(CultureInfo.InvariantCulture, $"uptime {uptime}\n\nHealth: OK\n");
        var topics = query.Topics(broker) ?? [];
        w.Append(topics.Count == 0 ? "\nTopics: None\n" : "\nTopics:");
        foreach (var (topic, channels) in topics)
        {
            w.Append(CultureInfo.InvariantCulture, $"\n{(topic.Paused ? "*P " : "   ")}[{topic.Name,-15}] depth: {topic.Depth,-5} be-depth: {0,-5} msgs: {topic.MessageCount,-8} e2e%: \n");
            foreach (var c in channels)
            {
                w.Append(CultureInfo.InvariantCulture, $"{(c.Paused ? "   *P " : "      ")}[{c.Name,-25}] depth: {c.Depth,-5} be-depth: {0,-5} inflt: {c.InFlightCount,-4} def: {c.DeferredCount,-4} re-q: {c.RequeueCount,-5} timeout: {c.TimeoutCount,-5} msgs: {c.MessageCount,-8} e2e%: \n");
                if (query.IncludeClients)
                {
                    foreach (var client in c.Clients)
                    {
                        w.Append(CultureInfo.InvariantCulture, $"        [V2 {client.Hostname}:{Port(client)} {client.UserAgent}] state: {(int)client.State} inflt: {client.InFlightCount,-4} rdy: {client.ReadyCount,-4} fin: {client.FinishCount,-8} re-q: {client.RequeueCount,-8} msgs: {client.MessageCount,-8}\n");
                    }
                }
            }
        }

        var producers = query.IncludeClients ? broker.Clients.Where(c => c.PubCounts.Count > 0).ToList() : [];
        w.Append(producers.Count == 0 ? "\nProducers: None\n" : "\nProducers:\n");
        foreach (var p in producers)
        {
            var topicsOut = string.Join(",", p.PubCounts.Select(kv => $"{kv.Key}={kv.Value}"));
            w.Append(CultureInfo.InvariantCulture, $"   [V2 {p.Hostname}:{Port(p)} {p.UserAgent}] msgs: {p.PubCounts.Values.Aggregate(0UL, (a, b) => a + b),-8} topics: {topicsOut}\n");
        }

        return w.ToString();
    }

    private static string Port(DevClient client) => client.RemoteAddress[(client.RemoteAddress.LastIndexOf(':') + 1)..];
}
