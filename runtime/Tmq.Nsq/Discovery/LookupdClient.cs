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
    public async Task<IReadOnlyList<NsqAddress>> LookupAsync(Uri lookupd, string topic, CancellationToken cancellationToken)
    {
        var uri = new Uri(lookupd, $"lookup?topic={Uri.EscapeDataString(topic)}");
        using var response = await http.GetAsync(uri, cancellationToken).ConfigureAwait(false);
        var body = await response.Content.ReadAsByteArrayAsync(cancellationToken).ConfigureAwait(false);
        if (response.StatusCode == HttpStatusCode.NotFound)
        {
            return [];
        }

        if (!response.IsSuccessStatusCode)
        {
            throw new HttpRequestException($"nsqlookupd at {lookupd} answered {(int)response.StatusCode} {response.ReasonPhrase} to /lookup?topic={topic}.");
        }

        return Parse(body, lookupd);
    }

    internal static IReadOnlyList<NsqAddress> Parse(byte[] body, Uri lookupd)
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

            var found = new List<NsqAddress>();
            foreach (var producer in producers.EnumerateArray())
            {
                if (producer.ValueKind == JsonValueKind.Object &&
                    producer.TryGetProperty("broadcast_address", out var host) && host.ValueKind == JsonValueKind.String &&
                    producer.TryGetProperty("tcp_port", out var port) && port.TryGetInt32(out var tcpPort) &&
                    NsqAddress.TryParse($"{Bracket(host.GetString()!)}:{tcpPort}", out var address) && !found.Contains(address))
                {
                    found.Add(address);
                }
            }

            return found;
        }
        catch (Exception ex) when (ex is JsonException or FormatException or InvalidOperationException)
        {
            throw new FormatException($"nsqlookupd at {lookupd} answered /lookup with something that is not a lookup result ({ex.Message}).", ex);
        }
    }

    private static string Bracket(string host) => host.Contains(':', StringComparison.Ordinal) && !host.StartsWith('[') ? $"[{host}]" : host;
}
