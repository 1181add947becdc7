using System.Text.Json;

namespace Tmq.Nsq.Connection;

/// <summary>What nsqd answered to IDENTIFY with feature negotiation: the limits this connection lives by.</summary>
internal sealed record IdentifyResponse
{
    public int MaxRdyCount { get; init; } = 2500;

    public TimeSpan MaxMsgTimeout { get; init; } = TimeSpan.FromMinutes(15);

    public TimeSpan MsgTimeout { get; init; } = TimeSpan.FromMinutes(1);

    public bool Tls { get; init; }

    public bool Snappy { get; init; }

    public bool Deflate { get; init; }

    public int DeflateLevel { get; init; }

    public bool AuthRequired { get; init; }

    public string Version { get; init; } = "unknown";

    /// <summary>An nsqd that answers plain "OK" (no feature negotiation) gets nsqd's defaults.</summary>
    public static IdentifyResponse Defaults { get; } = new();

    /// <exception cref="Protocol.NsqProtocolException">The answer is neither "OK" nor a JSON object, or holds a limit of 0 or less.</exception>
    public static IdentifyResponse Parse(ReadOnlySpan<byte> data)
    {
        if (data.SequenceEqual(Protocol.NsqWire.Ok))
        {
            return Defaults;
        }

        try
        {
            using var json = JsonDocument.Parse(data.ToArray());
            var root = json.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
            {
                throw new Protocol.NsqProtocolException($"nsqd answered IDENTIFY with JSON that is not an object: {Show(data)}.");
            }

            var response = new IdentifyResponse
            {
                MaxRdyCount = Int(root, "max_rdy_count") ?? Defaults.MaxRdyCount,
                MaxMsgTimeout = Milliseconds(root, "max_msg_timeout") ?? Defaults.MaxMsgTimeout,
                MsgTimeout = Milliseconds(root, "msg_timeout") ?? Defaults.MsgTimeout,
                Tls = Bool(root, "tls_v1"),
                Snappy = Bool(root, "snappy"),
                Deflate = Bool(root, "deflate"),
                DeflateLevel = Int(root, "deflate_level") ?? 0,
                AuthRequired = Bool(root, "auth_required"),
                Version = root.TryGetProperty("version", out var v) && v.ValueKind == JsonValueKind.String ? v.GetString()! : "unknown",
            };

            // No nsqd sends these; taken as they are, a max_rdy_count below 1 left the connection
            // subscribed and silent (RDY 0 for ever), and timeouts of 0 or less broke its timers.
            if (response.MaxRdyCount < 1 || response.MsgTimeout <= TimeSpan.Zero || response.MaxMsgTimeout <= TimeSpan.Zero)
            {
                throw new Protocol.NsqProtocolException($"nsqd answered IDENTIFY with max_rdy_count {response.MaxRdyCount}, msg_timeout {response.MsgTimeout.TotalMilliseconds} ms and max_msg_timeout {response.MaxMsgTimeout.TotalMilliseconds} ms; each must be positive ({Show(data)}).");
            }

            return response;
        }
        catch (JsonException ex)
        {
            throw new Protocol.NsqProtocolException($"nsqd answered IDENTIFY with {Show(data)}, which is neither OK nor JSON.", ex);
        }
        catch (InvalidOperationException ex)
        {
            // A string that is not text (an unpaired surrogate escape) fails only when it is read.
            throw new Protocol.NsqProtocolException($"nsqd answered IDENTIFY with {Show(data)}, whose strings are not all text.", ex);
        }
    }

    private static string Show(ReadOnlySpan<byte> data) =>
        data.Length <= 200 ? $"\"{System.Text.Encoding.UTF8.GetString(data)}\"" : $"\"{System.Text.Encoding.UTF8.GetString(data[..200])}...\"";

    private static int? Int(JsonElement root, string name) =>
        root.TryGetProperty(name, out var p) && p.ValueKind == JsonValueKind.Number && p.TryGetInt32(out var value) ? value : null;

    private static TimeSpan? Milliseconds(JsonElement root, string name) => Int(root, name) is { } ms ? TimeSpan.FromMilliseconds(ms) : null;

    private static bool Bool(JsonElement root, string name) => root.TryGetProperty(name, out var p) && p.ValueKind == JsonValueKind.True;
}
