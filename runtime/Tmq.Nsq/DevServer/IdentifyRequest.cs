using System.Text;
using System.Text.Json;
using System.Text.Unicode;

namespace Tmq.Nsq.DevServer;

/// <summary>
/// The body of IDENTIFY, read as Go's <c>encoding/json</c> reads nsqd's <c>identifyDataV2</c>:
/// property names match case-insensitively, unknown ones are ignored, null leaves the default,
/// and a value of the wrong type fails the whole body. Bytes that are not UTF-8 read as U+FFFD, as
/// in Go; an escaped surrogate without its pair (<c>"\ud800"</c>, which Go also reads as U+FFFD)
/// fails the body here, because .NET's reader cannot turn it into a string.
/// </summary>
internal sealed class IdentifyRequest
{
    public string ClientId { get; private set; } = string.Empty;

    public string Hostname { get; private set; } = string.Empty;

    public string UserAgent { get; private set; } = string.Empty;

    public int HeartbeatInterval { get; private set; }

    public int OutputBufferSize { get; private set; }

    public int OutputBufferTimeout { get; private set; }

    public bool FeatureNegotiation { get; private set; }

    public bool TlsV1 { get; private set; }

    public bool Deflate { get; private set; }

    public int DeflateLevel { get; private set; }

    public bool Snappy { get; private set; }

    public int SampleRate { get; private set; }

    public int MsgTimeout { get; private set; }

    /// <exception cref="JsonException">The body is not a JSON object of the expected types.</exception>
    public static IdentifyRequest Parse(ReadOnlyMemory<byte> body)
    {
        // The reader accepts such bytes inside a string and throws InvalidOperationException only
        // when the string is read, which would end the connection without an error frame.
        if (!Utf8.IsValid(body.Span))
        {
            body = Encoding.UTF8.GetBytes(Encoding.UTF8.GetString(body.Span));
        }

        using var document = JsonDocument.Parse(body, new JsonDocumentOptions { MaxDepth = 64 });
        if (document.RootElement.ValueKind != JsonValueKind.Object)
        {
            throw new JsonException($"IDENTIFY's body is a JSON {document.RootElement.ValueKind}, not an object.");
        }

        var request = new IdentifyRequest();
        try
        {
            foreach (var property in document.RootElement.EnumerateObject())
            {
                request.Read(property.Name.ToUpperInvariant(), property.Value);
            }
        }
        catch (InvalidOperationException e)
        {
            throw new JsonException($"IDENTIFY's body holds a string that is not text: {e.Message}", e);
        }

        return request;
    }

    private static string Text(JsonElement value, string current) => value.ValueKind switch
    {
        JsonValueKind.Null => current,
        JsonValueKind.String => value.GetString()!,
        _ => throw new JsonException($"expected a string, got {value.ValueKind}"),
    };

    private static int Number(JsonElement value, int current) => value.ValueKind switch
    {
        JsonValueKind.Null => current,
        JsonValueKind.Number when value.TryGetInt32(out var number) => number,
        _ => throw new JsonException($"expected an integer, got {value}"),
    };

    private static bool Flag(JsonElement value, bool current) => value.ValueKind switch
    {
        JsonValueKind.Null => current,
        JsonValueKind.True => true,
        JsonValueKind.False => false,
        _ => throw new JsonException($"expected true or false, got {value.ValueKind}"),
    };

    private void Read(string name, JsonElement value)
    {
        switch (name)
        {
            case "CLIENT_ID": ClientId = Text(value, ClientId); break;
            case "HOSTNAME": Hostname = Text(value, Hostname); break;
            case "USER_AGENT": UserAgent = Text(value, UserAgent); break;
            case "HEARTBEAT_INTERVAL": HeartbeatInterval = Number(value, HeartbeatInterval); break;
            case "OUTPUT_BUFFER_SIZE": OutputBufferSize = Number(value, OutputBufferSize); break;
            case "OUTPUT_BUFFER_TIMEOUT": OutputBufferTimeout = Number(value, OutputBufferTimeout); break;
            case "FEATURE_NEGOTIATION": FeatureNegotiation = Flag(value, FeatureNegotiation); break;
            case "TLS_V1": TlsV1 = Flag(value, TlsV1); break;
            case "DEFLATE": Deflate = Flag(value, Deflate); break;
            case "DEFLATE_LEVEL": DeflateLevel = Number(value, DeflateLevel); break;
            case "SNAPPY": Snappy = Flag(value, Snappy); break;
            case "SAMPLE_RATE": SampleRate = Number(value, SampleRate); break;
            case "MSG_TIMEOUT": MsgTimeout = Number(value, MsgTimeout); break;
            default: break;
        }
    }
}
