using System.IO.Compression;
using System.Net.Security;
using System.Text;
using System.Text.Json;
using Snappier;
using Tmq.Nsq.Tests.Fakes;

namespace Tmq.Nsq.Tests.DevServer;

/// <summary>IDENTIFY's upgrades (snappy, deflate, TLS) and AUTH.</summary>
public sealed class DevNsqdNegotiationTests
{
    [Fact]
    public async Task Identify_Snappy_OkAndCommandsCompressed()
    {
        await using var nsqd = await DevNsqd.StartAsync();
        await using var client = await RawNsqClient.ConnectAsync(nsqd.TcpEndPoint);

        var answer = await client.IdentifyAsync(new { feature_negotiation = true, snappy = true });
        Assert.True(Flag(answer.Data, "snappy"));
        client.UseStreams(new SnappyStream(client.Network, CompressionMode.Decompress, leaveOpen: true), new SnappyStream(client.Network, CompressionMode.Compress, leaveOpen: true));

        await client.ExpectOkAsync();
        await RoundTripAsync(client);
    }

    [Fact]
    public async Task Identify_Deflate_OkAndCommandsCompressed()
    {
        await using var nsqd = await DevNsqd.StartAsync();
        await using var client = await RawNsqClient.ConnectAsync(nsqd.TcpEndPoint);

        var answer = await client.IdentifyAsync(new { feature_negotiation = true, deflate = true, deflate_level = 9 });
        using var json = JsonDocument.Parse(answer.Data);
        Assert.Equal((true, 6), (json.RootElement.GetProperty("deflate").GetBoolean(), json.RootElement.GetProperty("deflate_level").GetInt32()));
        client.UseStreams(new DeflateStream(client.Network, CompressionMode.Decompress, leaveOpen: true), new DeflateStream(client.Network, CompressionLevel.Fastest, leaveOpen: true));

        await client.ExpectOkAsync();
        await RoundTripAsync(client);
    }

    [Fact]
    public async Task Identify_SnappyAndDeflate_IdentifyFailed()
    {
        await using var nsqd = await DevNsqd.StartAsync();
        await using var client = await RawNsqClient.ConnectAsync(nsqd.TcpEndPoint);

        var answer = await client.IdentifyAsync(new { feature_negotiation = true, deflate = true, snappy = true });

        Assert.Equal("E_IDENTIFY_FAILED cannot enable both deflate and snappy compression", answer.Text);
    }

    [Fact]
    public async Task Identify_TlsV1_HandshakeThenOkOverTls()
    {
        using var test = TestCertificate.Create();
        var certificate = test.Certificate;
        await using var nsqd = await DevNsqd.StartAsync(new DevNsqdOptions { TlsCertificate = certificate });
        await using var client = await RawNsqClient.ConnectAsync(nsqd.TcpEndPoint);

        var answer = await client.IdentifyAsync(new { feature_negotiation = true, tls_v1 = true });
        Assert.True(Flag(answer.Data, "tls_v1"));
        var tls = new SslStream(client.Network, leaveInnerStreamOpen: true, (_, presented, _, _) => presented?.GetCertHashString() == certificate.Thumbprint);
        await tls.AuthenticateAsClientAsync("localhost");
        client.UseStreams(tls, tls);

        await client.ExpectOkAsync();
        await RoundTripAsync(client);
    }

    [Fact]
    public async Task Auth_Configured_RequiredBeforePubAndChecksSecret()
    {
        await using var nsqd = await DevNsqd.StartAsync(new DevNsqdOptions { AuthSecret = "s3cret" });

        await using (var anonymous = await RawNsqClient.ConnectAsync(nsqd.TcpEndPoint))
        {
            Assert.True(Flag((await anonymous.IdentifyAsync(new { feature_negotiation = true })).Data, "auth_required"));
            await anonymous.SendAsync(w => Tmq.Nsq.Protocol.Command.Pub(w, "orders", "x"u8));
            Assert.Equal("E_AUTH_FIRST AUTH required before PUB", await anonymous.ExpectErrorAsync("E_AUTH_FIRST"));
        }

        await using (var wrong = await RawNsqClient.ConnectAsync(nsqd.TcpEndPoint))
        {
            await wrong.SendAsync(w => Tmq.Nsq.Protocol.Command.Auth(w, "guess"u8));
            await wrong.ExpectErrorAsync("E_AUTH_FAILED");
            await wrong.ExpectClosedAsync();
        }

        await using var right = await RawNsqClient.ConnectAsync(nsqd.TcpEndPoint);
        await right.SendAsync(w => Tmq.Nsq.Protocol.Command.Auth(w, "s3cret"u8));
        using var identity = JsonDocument.Parse((await right.ReadNonHeartbeatAsync()).Data);
        Assert.Equal(1, identity.RootElement.GetProperty("permission_count").GetInt32());
        await right.PublishAsync("orders", "authorised");
    }

    private static async Task RoundTripAsync(RawNsqClient client)
    {
        await client.PublishAsync("orders", "squeezed");
        await client.SubscribeAsync("orders", "audit", ready: 1);
        Assert.Equal("squeezed", Encoding.UTF8.GetString((await client.ReadMessageAsync()).Body.Span));
    }

    private static bool Flag(byte[] json, string name)
    {
        using var document = JsonDocument.Parse(json);
        return document.RootElement.GetProperty(name).GetBoolean();
    }
}
