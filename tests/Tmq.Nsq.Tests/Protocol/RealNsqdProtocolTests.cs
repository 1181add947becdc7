using System.Text;
using System.Text.Json;
using Tmq.Nsq.Envelope;
using Tmq.Nsq.Protocol;
using Tmq.Nsq.Tests.Fakes;

namespace Tmq.Nsq.Tests.Protocol;

/// <summary>The Protocol layer against the real nsqd: if these pass, our framing and commands are what nsqd speaks.</summary>
public sealed class RealNsqdProtocolTests
{
    private static readonly byte[] Identify = """{"client_id":"tmq-protocol-test","feature_negotiation":true,"heartbeat_interval":30000}"""u8.ToArray();

    [RealNsqdFact]
    public async Task ReadFrame_PubSubRdyOnOneConnection_ReadsTheMessageBack()
    {
        await using var nsqd = await RealNsqd.StartAsync();
        await using var client = await RawNsqClient.ConnectAsync(nsqd.TcpEndPoint);
        var body = TmqEnvelope.Wrap("order-7"u8, new TmqHeaders().Add("traceparent", "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"), "{\"total\":3}"u8);

        await client.SendAsync(o => Command.Identify(o, Identify));
        var identify = await client.ReadFrameAsync();
        await client.SendAsync(o => Command.Pub(o, "protocol", body));
        await client.ExpectResponseAsync("OK");
        await client.SendAsync(o => Command.Sub(o, "protocol", "test"));
        await client.ExpectResponseAsync("OK");
        await client.SendAsync(o => Command.Rdy(o, 1));
        var frame = await client.ReadFrameAsync();

        Assert.Equal(FrameType.Response, identify?.Type);
        Assert.Equal(FrameType.Message, frame?.Type);
        var message = NsqMessageFrame.Parse(frame!.Value.Data);
        Assert.Equal(1, message.Attempts);
        Assert.InRange(message.Timestamp, DateTimeOffset.UtcNow.AddMinutes(-1), DateTimeOffset.UtcNow.AddMinutes(1));
        Assert.True(TmqEnvelope.TryUnwrap(message.Body, out var key, out var headers, out var read));
        Assert.Equal("order-7", Encoding.UTF8.GetString(key.Span));
        Assert.Equal("00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01", headers.GetString("traceparent"));
        Assert.Equal("{\"total\":3}", Encoding.UTF8.GetString(read.Span));

        await client.SendAsync(o => Command.Fin(o, message.Id));
        await client.SendAsync(Command.Cls);
        await client.ExpectResponseAsync("CLOSE_WAIT");
    }

    [RealNsqdFact]
    public async Task Mpub_TwoBodies_NsqdDeliversEachAsAMessage()
    {
        await using var nsqd = await RealNsqd.StartAsync();
        await using var client = await RawNsqClient.ConnectAsync(nsqd.TcpEndPoint);

        await client.SendAsync(o => Command.Sub(o, "batch", "test"));
        await client.ExpectResponseAsync("OK");
        await client.SendAsync(o => Command.Mpub(o, "batch", ["first"u8.ToArray(), "second"u8.ToArray()]));
        await client.ExpectResponseAsync("OK");
        await client.SendAsync(o => Command.Rdy(o, 2));
        var first = await client.ReadFrameAsync();
        var second = await client.ReadFrameAsync();

        Assert.Equal(
            ["first", "second"],
            new[] { first, second }.Select(f => Encoding.UTF8.GetString(NsqMessageFrame.Parse(f!.Value.Data).Body.Span)).Order(StringComparer.Ordinal));
    }

    [RealNsqdFact]
    public async Task Identify_FeatureNegotiation_AnswersWithTheFieldsTheScriptedFakeSends()
    {
        await using var nsqd = await RealNsqd.StartAsync();
        await using var client = await RawNsqClient.ConnectAsync(nsqd.TcpEndPoint);

        await client.SendAsync(o => Command.Identify(o, Identify));
        var frame = await client.ReadFrameAsync();

        Assert.Equal(FrameType.Response, frame?.Type);
        Assert.Equal(Fields(ScriptedNsqd.DefaultIdentifyResponse), Fields(Encoding.UTF8.GetString(frame!.Value.Data)));

        static string[] Fields(string json)
        {
            using var document = JsonDocument.Parse(json);
            return [.. document.RootElement.EnumerateObject().Select(p => $"{p.Name}:{p.Value.ValueKind}").Order(StringComparer.Ordinal)];
        }
    }

    [RealNsqdFact]
    public async Task IsFatal_FinOfAnIdNotInFlight_MatchesNsqdKeepingTheConnectionOpen()
    {
        await using var nsqd = await RealNsqd.StartAsync();
        await using var client = await RawNsqClient.ConnectAsync(nsqd.TcpEndPoint);
        await client.SendAsync(o => Command.Sub(o, "late", "test"));
        await client.ExpectResponseAsync("OK");

        await client.SendAsync(o => Command.Fin(o, "0000000000000000"u8));
        var error = await client.ReadFrameAsync();
        await client.SendAsync(o => Command.Pub(o, "late", "still open"u8));

        Assert.Equal(FrameType.Error, error?.Type);
        var parsed = NsqErrorFrame.Parse(error!.Value.Data);
        Assert.Equal("E_FIN_FAILED", parsed.Code);
        Assert.False(parsed.IsFatal);
        await client.ExpectResponseAsync("OK");
    }

    [RealNsqdFact]
    public async Task RestartAsync_AfterGracefulStop_KeepsPortsAndQueuedMessages()
    {
        await using var nsqd = await RealNsqd.StartAsync();
        await using (var publisher = await RawNsqClient.ConnectAsync(nsqd.TcpEndPoint))
        {
            await publisher.SendAsync(o => Command.Sub(o, "restart", "test"));
            await publisher.ExpectResponseAsync("OK");
            await publisher.SendAsync(o => Command.Pub(o, "restart", "kept"u8));
            await publisher.ExpectResponseAsync("OK");
        }

        await nsqd.StopAsync();
        await nsqd.RestartAsync();
        await using var client = await RawNsqClient.ConnectAsync(nsqd.TcpEndPoint);
        await client.SendAsync(o => Command.Sub(o, "restart", "test"));
        await client.ExpectResponseAsync("OK");
        await client.SendAsync(o => Command.Rdy(o, 1));
        var frame = await client.ReadFrameAsync();

        Assert.Equal(FrameType.Message, frame?.Type);
        Assert.Equal("kept", Encoding.UTF8.GetString(NsqMessageFrame.Parse(frame!.Value.Data).Body.Span));
    }
}
