using System.Text;
using System.Text.Json;
using Tmq.Nsq.Protocol;
using Tmq.Nsq.Tests.Fakes;

namespace Tmq.Nsq.Tests.DevServer;

public sealed class DevNsqdProtocolTests
{
    [Fact]
    public async Task Identify_FeatureNegotiation_AnswersNsqdJson()
    {
        await using var nsqd = await DevNsqd.StartAsync();
        await using var client = await RawNsqClient.ConnectAsync(nsqd.TcpEndPoint);

        var answer = await client.IdentifyAsync(new { feature_negotiation = true, client_id = "c1", msg_timeout = 5000, heartbeat_interval = 2000 });

        Assert.Equal(FrameType.Response, answer.Type);
        using var json = JsonDocument.Parse(answer.Data);
        var names = json.RootElement.EnumerateObject().Select(p => p.Name).ToArray();
        Assert.Equal(
            ["max_rdy_count", "version", "max_msg_timeout", "msg_timeout", "tls_v1", "deflate", "deflate_level", "max_deflate_level", "snappy", "sample_rate", "auth_required", "output_buffer_size", "output_buffer_timeout"],
            names);
        var root = json.RootElement;
        Assert.Equal(2500, root.GetProperty("max_rdy_count").GetInt32());
        Assert.Equal("1.3.0", root.GetProperty("version").GetString());
        Assert.Equal(900_000, root.GetProperty("max_msg_timeout").GetInt64());
        Assert.Equal(5000, root.GetProperty("msg_timeout").GetInt64());
        Assert.False(root.GetProperty("tls_v1").GetBoolean());
        Assert.False(root.GetProperty("snappy").GetBoolean());
        Assert.False(root.GetProperty("auth_required").GetBoolean());
        Assert.Equal(16384, root.GetProperty("output_buffer_size").GetInt32());
        Assert.Equal(250, root.GetProperty("output_buffer_timeout").GetInt32());
    }

    [Fact]
    public async Task Identify_WithoutFeatureNegotiation_AnswersOk()
    {
        await using var nsqd = await DevNsqd.StartAsync();
        await using var client = await RawNsqClient.ConnectAsync(nsqd.TcpEndPoint);

        var answer = await client.IdentifyAsync(new { client_id = "c1" });

        Assert.True(answer.IsOk, answer.Text);
    }

    [Fact]
    public async Task Identify_MsgTimeoutOutOfBounds_ClosesWithBadBody()
    {
        await using var nsqd = await DevNsqd.StartAsync();
        await using var client = await RawNsqClient.ConnectAsync(nsqd.TcpEndPoint);

        var answer = await client.IdentifyAsync(new { msg_timeout = 500 });

        Assert.Equal("E_BAD_BODY IDENTIFY msg timeout (500) is invalid", answer.Text);
        await client.ExpectClosedAsync();
    }

    [Fact]
    public async Task Sub_MessagePublishedBefore_DeliveredWithAttemptsOne()
    {
        await using var nsqd = await DevNsqd.StartAsync();
        await using var client = await RawNsqClient.ConnectAsync(nsqd.TcpEndPoint);
        await client.PublishAsync("orders", "hello");

        await client.SubscribeAsync("orders", "audit", ready: 1);
        var message = await client.ReadMessageAsync();

        Assert.Equal(1, message.Attempts);
        Assert.Equal("hello", Encoding.UTF8.GetString(message.Body.Span));
        Assert.Equal(16, message.IdString.Length);
        Assert.True(message.IdString.All(char.IsAsciiHexDigitLower), message.IdString);
    }

    [Fact]
    public async Task Fin_InFlightMessage_RemovesIt()
    {
        await using var nsqd = await DevNsqd.StartAsync();
        await using var client = await RawNsqClient.ConnectAsync(nsqd.TcpEndPoint);
        await client.SubscribeAsync("orders", "audit", ready: 1);
        await nsqd.PublishAsync("orders", "x"u8.ToArray());
        var message = await client.ReadMessageAsync();

        await client.SendAsync(w => Command.Fin(w, message.Id));
        await client.BarrierAsync();

        var stats = nsqd.GetChannelStats("orders", "audit")!;
        Assert.Equal((0, 0, 0, 1), (stats.Depth, stats.InFlightCount, stats.DeferredCount, stats.MessageCount));
    }

    [Fact]
    public async Task Fin_UnknownId_NonFatalFinFailed()
    {
        await using var nsqd = await DevNsqd.StartAsync();
        await using var client = await RawNsqClient.ConnectAsync(nsqd.TcpEndPoint);
        await client.SubscribeAsync("orders", "audit", ready: 1);

        await client.SendAsync(w => Command.Fin(w, "0123456789abcdef"u8));

        Assert.Equal("E_FIN_FAILED FIN 0123456789abcdef failed ID not in flight", await client.ExpectErrorAsync("E_FIN_FAILED"));
        await nsqd.PublishAsync("orders", "still open"u8.ToArray());
        Assert.Equal("still open", Encoding.UTF8.GetString((await client.ReadMessageAsync()).Body.Span));
    }

    [Fact]
    public async Task Rdy_OverMaxRdyCount_FatalInvalid()
    {
        await using var nsqd = await DevNsqd.StartAsync();
        await using var client = await RawNsqClient.ConnectAsync(nsqd.TcpEndPoint);
        await client.SubscribeAsync("orders", "audit", ready: 0);

        await client.SendAsync(w => Command.Rdy(w, 2501));

        Assert.Equal("E_INVALID RDY count 2501 out of range 0-2500", await client.ExpectErrorAsync("E_INVALID"));
        await client.ExpectClosedAsync();
    }

    [Fact]
    public async Task Mpub_ThreeBodies_EachDelivered()
    {
        await using var nsqd = await DevNsqd.StartAsync();
        await using var client = await RawNsqClient.ConnectAsync(nsqd.TcpEndPoint);

        await client.SendAsync(w => Command.Mpub(w, "orders", ["a"u8.ToArray(), "bb"u8.ToArray(), "ccc"u8.ToArray()]));
        await client.ExpectOkAsync();
        await client.SubscribeAsync("orders", "audit", ready: 3);

        var bodies = new List<string>();
        for (var i = 0; i < 3; i++)
        {
            bodies.Add(Encoding.UTF8.GetString((await client.ReadMessageAsync()).Body.Span));
        }

        Assert.Equal(["a", "bb", "ccc"], bodies);
    }

    [Fact]
    public async Task Sub_BadChannelName_FatalBadChannel()
    {
        await using var nsqd = await DevNsqd.StartAsync();
        await using var client = await RawNsqClient.ConnectAsync(nsqd.TcpEndPoint);

        await client.SendLineAsync("SUB orders bad/channel");

        Assert.Equal("E_BAD_CHANNEL SUB channel name \"bad/channel\" is not valid", await client.ExpectErrorAsync("E_BAD_CHANNEL"));
        await client.ExpectClosedAsync();
    }
}
