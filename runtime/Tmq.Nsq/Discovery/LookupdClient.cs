using System.Net;
using System.Text.Json;

namespace Tmq.Nsq.Discovery;

/// <summary>Asks nsqlookupd which nsqd have a topic (<c>GET /lookup?topic=</c>).</summary>
/// <remarks>
/// nsqlookupd 1.x answers
/// <code>{"channels":["c"],"producers":[{"remote_address":"...","hostname":"h","broadcast_address":"10.0.0.5","tcp_port":4150,"http_port":4151,"version":"1.3.0"}]}</code>
/// and 404 <c>{"message":"TOPIC_NOT_FOUND"}</c> for a topic no nsqd has yet, which is an empty
/// answer, not an error. Older versions wrap the object in <c>{"status_code":200,"data":{...}}</c>;
/// both are read. An nsqd is reached at its broadcast address and TCP port.
/// </remarks>
internal sealed class LookupdClient(HttpClient http)
{
    /// <summary>The nsqd that have <paramref name="topic"/>, with their HTTP ports.</summary>
    public Task<IReadOnlyList<NsqdNode>> LookupNodesAsync(Uri lookupd, string topic, CancellationToken cancellationToken) =>
        GetNodesAsync(lookupd, $"lookup?topic={Uri.EscapeDataString(topic)}", cancellationToken);

    /// <summary>Every nsqd the lookupd knows (<c>GET /nodes</c>, the same "producers" list), whatever topics they have.</summary>
    public Task<IReadOnlyList<NsqdNode>> NodesAsync(Uri lookupd, CancellationToken cancellationToken) =>
        GetNodesAsync(lookupd, "nodes", cancellationToken);

    private async Task<IReadOnlyList<NsqdNode>> GetNodesAsync(Uri lookupd, string pathAndQuery, CancellationToken cancellationToken)
    {
        var uri = new Uri(lookupd, pathAndQuery);
        using var response = await http.GetAsync(uri, cancellationToken).ConfigureAwait(false);
        var body = await response.Content.ReadAsByteArrayAsync(cancellationToken).ConfigureAwait(false);
        if (response.StatusCode == HttpStatusCode.NotFound)
        {
            return [];
        }

        if (!response.IsSuccessStatusCode)
        {
            throw new HttpRequestException($"nsqlookupd at {lookupd} answered {(int)response.StatusCode} {response.ReasonPhrase} to /{pathAndQuery}.");
        }

        return Parse(body, lookupd);
    }

    internal static IReadOnlyList<NsqdNode> Parse(byte[] body, Uri lookupd)
    {
        try
        {
            using var json = JsonDocument.Parse(body);
            var root = json.RootElement;
            if (root.ValueKind == JsonValueKind.Object && root.TryGetProperty("data", out var data) && data.ValueKind == JsonValueKind.Object)
            {
                root = data;
            }

            if (root.ValueKind != JsonValueKind.Object || !root.TryGetProperty("producers", out var producers) || producers.ValueKind != JsonValueKind.Array)
            {
                throw new FormatException("it has no \"producers\" list");
            }

            var found = new List<NsqdNode>();
            foreach (var producer in producers.EnumerateArray())
            {
                if (producer.ValueKind == JsonValueKind.Object &&
                    producer.TryGetProperty("broadcast_address", out var host) && host.ValueKind == JsonValueKind.String &&
                    producer.TryGetProperty("tcp_port", out var port) && port.TryGetInt32(out var tcpPort) &&
                    NsqAddress.TryParse($"{Bracket(host.GetString()!)}:{tcpPort}", out var address) && !found.Exists(n => n.Tcp == address))
                {
                    var httpPort = producer.TryGetProperty("http_port", out var http) && http.TryGetInt32(out var h) && h is > 0 and <= 65535 ? h : 0;
                    found.Add(new NsqdNode(address, httpPort));
                }
            }

            return found;
        }
        catch (Exception ex) when (ex is JsonException or FormatException or InvalidOperationException)
        {
            throw new FormatException($"nsqlookupd at {lookupd} answered with something that is not a lookup result ({ex.Message}).", ex);
        }
    }

    private static string Bracket(string host) => host.Contains(':', StringComparison.Ordinal) && !host.StartsWith('[') ? $"[{host}]" : host;
}

/// <summary>An nsqd as nsqlookupd lists it: its TCP address, and its HTTP port (0 when not given).</summary>
internal readonly record struct NsqdNode(NsqAddress Tcp, int HttpPort)
{
    /// <summary>http://host:port/ of its HTTP API, or null when the port is unknown.</summary>
    public Uri? Http => HttpPort > 0 ? new Uri($"http://{new NsqAddress(Tcp.Host, HttpPort)}/") : null;

    /// <summary>
    /// <see cref="Http"/>, or else the port after the TCP one (nsqd's own 4150 and 4151, which a fixed
    /// address is taken to follow); null when there is none (TCP port 65535).
    /// </summary>
    public Uri? HttpOrNextPort => Http ?? (Tcp.Port < 65535 ? new Uri($"http://{new NsqAddress(Tcp.Host, Tcp.Port + 1)}/") : null);
}
