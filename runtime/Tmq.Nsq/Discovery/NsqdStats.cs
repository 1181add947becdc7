using System.Net;
using System.Text.Json;

namespace Tmq.Nsq.Discovery;

/// <summary>One topic's counts from nsqd's HTTP API (<c>GET /stats?format=json&amp;topic=</c>).</summary>
/// <remarks>
/// nsqd 1.x answers <c>{"version":"1.3.0","topics":[{"topic_name":"t","depth":0,"channels":[{"channel_name":"c",
/// "depth":0,"in_flight_count":0,"deferred_count":0,"requeue_count":0,"timeout_count":0,"clients":[...]}]}]}</c>,
/// older versions the same inside <c>{"status_code":200,"data":{...}}</c>. An empty list is
/// <c>null</c> (Go's nil slice). A channel's depth counts its memory and disk queues.
/// </remarks>
internal static class NsqdStats
{
    /// <summary>The topic's counts on the nsqd whose HTTP API is <paramref name="nsqd"/>, or null when it has no such topic.</summary>
    /// <exception cref="HttpRequestException">nsqd did not answer, or answered with an error.</exception>
    /// <exception cref="FormatException">The answer is not nsqd's /stats.</exception>
    public static async Task<NsqdTopicStats?> GetTopicAsync(HttpClient http, Uri nsqd, string topic, CancellationToken cancellationToken)
    {
        using var response = await http.GetAsync(new Uri(nsqd, $"stats?format=json&topic={Uri.EscapeDataString(topic)}"), cancellationToken).ConfigureAwait(false);
        if (response.StatusCode == HttpStatusCode.NotFound)
        {
            return null;
        }

        if (!response.IsSuccessStatusCode)
        {
            throw new HttpRequestException($"nsqd at {nsqd} answered {(int)response.StatusCode} {response.ReasonPhrase} to /stats.");
        }

        return Parse(await response.Content.ReadAsByteArrayAsync(cancellationToken).ConfigureAwait(false), nsqd, topic);
    }

    internal static NsqdTopicStats? Parse(byte[] body, Uri nsqd, string topic)
    {
        try
        {
            using var json = JsonDocument.Parse(body);
            var root = json.RootElement.TryGetProperty("data", out var data) && data.ValueKind == JsonValueKind.Object ? data : json.RootElement;
            foreach (var t in List(root, "topics"))
            {
                if (t.GetProperty("topic_name").GetString() != topic)
                {
                    continue;
                }

                var channels = List(t, "channels").Select(static c => new NsqdChannelStats(
                    c.GetProperty("channel_name").GetString() ?? string.Empty,
                    Count(c, "depth"),
                    Count(c, "in_flight_count"),
                    Count(c, "deferred_count"),
                    Count(c, "requeue_count"),
                    Count(c, "timeout_count"),
                    c.TryGetProperty("clients", out var clients) && clients.ValueKind == JsonValueKind.Array ? clients.GetArrayLength() : Count(c, "client_count"),
                    Count(c, "message_count"))).ToList();
                return new NsqdTopicStats(Count(t, "depth"), channels);
            }

            return null;
        }
        catch (Exception ex) when (ex is JsonException or KeyNotFoundException or InvalidOperationException)
        {
            throw new FormatException($"nsqd at {nsqd} answered /stats with something that is not nsqd's stats ({ex.Message}).", ex);
        }
    }

    /// <summary>The array under <paramref name="name"/>; none when it is missing or null.</summary>
    private static JsonElement[] List(JsonElement element, string name) =>
        element.ValueKind == JsonValueKind.Object && element.TryGetProperty(name, out var list) && list.ValueKind == JsonValueKind.Array
            ? [.. list.EnumerateArray()]
            : [];

    private static long Count(JsonElement element, string name) =>
        element.TryGetProperty(name, out var value) && value.TryGetInt64(out var count) ? count : 0;
}

/// <summary>A topic on one nsqd: messages in its own queue (waiting for a first channel) and its channels.</summary>
internal sealed record NsqdTopicStats(long Depth, IReadOnlyList<NsqdChannelStats> Channels);

/// <summary>A channel on one nsqd: waiting (depth), delivered and not finished (in flight), deferred, and its counters since nsqd started (messages put in it, requeued, timed out).</summary>
internal sealed record NsqdChannelStats(string Name, long Depth, long InFlight, long Deferred, long Requeued, long TimedOut, long Clients, long Messages);
