using System.Buffers.Binary;
using System.Net;
using System.Text;
using System.Text.Json;
using Tmq.Nsq.Protocol;
using Tmq.Nsq.Tests.Fakes;

namespace Tmq.Nsq.Tests.DevServer;

/// <summary>
/// The same raw bytes sent to the development nsqd and to the real nsqd 1.3 (<c>NSQD_PATH</c>) must
/// get the same frames back, error texts included, and the HTTP APIs the same answers.
/// </summary>
public sealed class DevNsqdParityTests
{
    private static readonly byte[] Identify = Body("IDENTIFY", """{"feature_negotiation":true,"client_id":"c","hostname":"h"}""");

    /// <summary>Scripts ending with a fatal error, so that every transcript ends with the server closing.</summary>
    private static readonly (string Name, byte[] Script)[] Scripts =
    [
        ("bad magic", "HTTP"u8.ToArray()),
        ("unknown command", [.. Magic, .. "FOO bar\n"u8]),
        ("empty line", [.. Magic, .. "\n"u8]),
        ("PUB oversized", [.. Magic, .. "PUB t\n"u8, .. Int(int.MaxValue)]),
        ("PUB negative size", [.. Magic, .. "PUB t\n"u8, .. Int(-1)]),
        ("PUB bad topic", [.. Magic, .. "PUB bad/topic\n"u8]),
        ("PUB missing topic", [.. Magic, .. "PUB\n"u8]),
        ("RDY before SUB", [.. Magic, .. "RDY 1\n"u8]),
        ("FIN before SUB", [.. Magic, .. "FIN 0123456789abcdef\n"u8]),
        ("CLS before SUB", [.. Magic, .. "CLS\n"u8]),
        ("IDENTIFY answer then bad JSON", [.. Magic, .. Identify, .. Body("IDENTIFY", "{x}")]),
        ("IDENTIFY msg_timeout too short", [.. Magic, .. Body("IDENTIFY", """{"msg_timeout":500}""")]),
        ("IDENTIFY heartbeat too long", [.. Magic, .. Body("IDENTIFY", """{"heartbeat_interval":60001}""")]),
        ("IDENTIFY heartbeats off then SUB", [.. Magic, .. Body("IDENTIFY", """{"heartbeat_interval":-1}"""), .. "SUB t c\n"u8]),
        ("IDENTIFY wrong type", [.. Magic, .. Body("IDENTIFY", """{"msg_timeout":"5000"}""")]),
        ("AUTH disabled", [.. Magic, .. Body("AUTH", "secret")]),
        ("MPUB zero messages", [.. Magic, .. "MPUB t\n"u8, .. Int(8), .. Int(0)]),
        ("MPUB empty message", [.. Magic, .. "MPUB t\n"u8, .. Int(12), .. Int(1), .. Int(0)]),
        ("DPUB negative", [.. Magic, .. "DPUB t -5\n"u8, .. Int(1), (byte)'x']),
        ("DPUB too long", [.. Magic, .. "DPUB t 3600001\n"u8, .. Int(1), (byte)'x']),
        ("SUB missing channel", [.. Magic, .. "SUB t\n"u8]),
        ("SUB bad channel", [.. Magic, .. "SUB t bad/channel\n"u8]),
        ("SUB twice", [.. Magic, .. "SUB t c\nSUB t c\n"u8]),
        ("RDY over max", [.. Magic, .. "SUB t c\nRDY 2501\n"u8]),
        ("RDY not a number", [.. Magic, .. "SUB t c\nRDY x\n"u8]),
        ("FIN unknown then short id", [.. Magic, .. "SUB t c\nFIN 0123456789abcdef\nFIN 12\n"u8]),
        ("REQ unknown then bad timeout", [.. Magic, .. "SUB t c\nREQ 0123456789abcdef 10\nREQ 0123456789abcdef x\n"u8]),
        ("TOUCH unknown then CLS twice", [.. Magic, .. "SUB t c\nTOUCH 0123456789abcdef\nCLS\nCLS\n"u8]),
        ("NOP and PUB then bad", [.. Magic, .. "NOP\n"u8, .. "PUB t\n"u8, .. Int(2), .. "hi"u8, .. "BAD\n"u8]),
    ];

    [RealNsqdFact]
    public async Task Transcript_SameBytes_SameFramesAsRealNsqd()
    {
        await using var real = await RealNsqd.StartAsync();
        await using var dev = await DevNsqd.StartAsync();

        foreach (var (name, script) in Scripts)
        {
            var expected = await TranscriptAsync(real.TcpEndPoint, script);
            var actual = await TranscriptAsync(dev.TcpEndPoint, script);
            Assert.True(expected.SequenceEqual(actual), $"{name}:\n real nsqd: {string.Join(" | ", expected)}\n dev nsqd:  {string.Join(" | ", actual)}");
        }
    }

    [RealNsqdFact]
    public async Task Http_SameRequests_SameAnswersAsRealNsqd()
    {
        await using var real = await RealNsqd.StartAsync();
        await using var dev = await DevNsqd.StartAsync();
        string[] requests =
        [
            "GET ping", "GET pub?topic=x", "POST pub?topic=x", "POST pub", "POST pub?topic=b@d", "POST pub?topic=x;y",
            "POST pub?topic=x&defer=abc", "POST pub?topic=x&defer=3600001", "POST pub?topic=x%zz", "POST mpub?topic=mp&binary=true",
            "POST mpub?topic=mp", "POST topic/create?topic=", "POST topic/delete?topic=nothing", "POST topic/empty?topic=b@d",
            "POST channel/create?topic=mp", "POST channel/create?topic=mp&channel=b@d", "POST channel/create?topic=mp&channel=c",
            "POST channel/delete?topic=mp&channel=zz", "POST topic/pause?topic=mp", "POST channel/pause?topic=mp&channel=c",
            "GET stats?format=json&topic=nothing&include_mem=false", "GET nope",
        ];
        using var http = new HttpClient();

        foreach (var request in requests)
        {
            var (method, path) = (request.Split(' ')[0], request.Split(' ')[1]);
            Assert.Equal(await AnswerAsync(http, method, new Uri(real.HttpAddress, path)), await AnswerAsync(http, method, new Uri(dev.HttpAddress, path)));
        }

        Assert.Equal(Shape(await StatsAsync(http, real.HttpAddress)), Shape(await StatsAsync(http, dev.HttpAddress)));
    }

    [RealNsqdFact(RequiresLookupd = true)]
    public async Task Lookup_SameTopic_SameShapeAsRealNsqlookupd()
    {
        await using var real = await RealNsqd.StartAsync();
        await using var dev = await DevNsqd.StartAsync();
        using var http = new HttpClient();
        foreach (var address in new[] { real.HttpAddress, dev.HttpAddress })
        {
            (await http.PostAsync(new Uri(address, "topic/create?topic=orders"), null)).Dispose();
            (await http.PostAsync(new Uri(address, "channel/create?topic=orders&channel=audit"), null)).Dispose();
        }

        // nsqd registers with nsqlookupd over TCP, a moment after the topic is created.
        await Eventually.TrueAsync(
            async () => (await AnswerAsync(http, "GET", new Uri(real.LookupdHttpAddress!, "lookup?topic=orders"))).Body.Contains("audit", StringComparison.Ordinal),
            () => "nsqd registers orders/audit with nsqlookupd");

        foreach (var path in new[] { "lookup?topic=orders", "lookup?topic=nothing", "lookup", "nodes", "topics", "channels?topic=orders", "info", "ping" })
        {
            var expected = await AnswerAsync(http, "GET", new Uri(real.LookupdHttpAddress!, path));
            var actual = await AnswerAsync(http, "GET", new Uri(dev.LookupdHttpAddress, path));
            Assert.Equal((expected.Status, Shape(expected.Body)), (actual.Status, Shape(actual.Body)));
        }
    }

    private static ReadOnlySpan<byte> Magic => NsqWire.MagicV2;

    private static byte[] Int(int value)
    {
        var bytes = new byte[4];
        BinaryPrimitives.WriteInt32BigEndian(bytes, value);
        return bytes;
    }

    private static byte[] Body(string command, string body) => [.. Encoding.ASCII.GetBytes(command + "\n"), .. Int(body.Length), .. Encoding.UTF8.GetBytes(body)];

    /// <summary>Every frame until the server closes: type and text (messages as their body).</summary>
    private static async Task<List<string>> TranscriptAsync(IPEndPoint endPoint, byte[] script)
    {
        await using var client = await RawNsqClient.ConnectAsync(endPoint, sendMagic: false);
        await client.SendRawAsync(script);
        var transcript = new List<string>();
        while (await client.ReadFrameAsync() is { } frame)
        {
            transcript.Add(frame.Type == FrameType.Message ? $"Message {Encoding.UTF8.GetString(NsqMessageFrame.Parse(frame.Data).Body.Span)}" : $"{frame.Type} {frame.Text}");
        }

        return transcript;
    }

    private static async Task<(int Status, string Body)> AnswerAsync(HttpClient http, string method, Uri uri)
    {
        using var request = new HttpRequestMessage(new HttpMethod(method), uri) { Content = method == "POST" ? new StringContent("hello") : null };
        using var response = await http.SendAsync(request);
        var body = await response.Content.ReadAsStringAsync();
        return ((int)response.StatusCode, body.Contains("start_time", StringComparison.Ordinal) ? Shape(body) : body);
    }

    private static Task<string> StatsAsync(HttpClient http, Uri address) => http.GetStringAsync(new Uri(address, "stats?format=json"));

    /// <summary>The JSON's structure: property names and value kinds, arrays by their first element.</summary>
    private static string Shape(string json)
    {
        if (!json.StartsWith('{'))
        {
            return json;
        }

        using var document = JsonDocument.Parse(json);
        return Shape(document.RootElement);
    }

    private static string Shape(JsonElement element) => element.ValueKind switch
    {
        JsonValueKind.Object => "{" + string.Join(",", element.EnumerateObject().Select(p => $"{p.Name}:{Shape(p.Value)}")) + "}",
        JsonValueKind.Array => "[" + (element.GetArrayLength() > 0 ? Shape(element[0]) : string.Empty) + "]",
        JsonValueKind.True or JsonValueKind.False => "bool",
        _ => element.ValueKind.ToString(),
    };
}
