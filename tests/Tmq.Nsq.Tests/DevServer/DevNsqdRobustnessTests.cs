using System.Buffers.Binary;
using System.Text;
using Tmq.Nsq.Tests.Fakes;

namespace Tmq.Nsq.Tests.DevServer;

public sealed class DevNsqdRobustnessTests
{
    [Fact]
    public async Task Connect_GarbageMagic_BadProtocolThenClosed()
    {
        await using var nsqd = await DevNsqd.StartAsync();
        await using var client = await RawNsqClient.ConnectAsync(nsqd.TcpEndPoint, sendMagic: false);

        await client.SendRawAsync("GET / HTTP/1.1\r\n\r\n"u8.ToArray());

        Assert.Equal("E_BAD_PROTOCOL", await client.ExpectErrorAsync("E_BAD_PROTOCOL"));
        await client.ExpectClosedAsync();
    }

    [Fact]
    public async Task Pub_SizeOverMaxMsgSize_ClosesWithErrorWithoutAllocating()
    {
        await using var nsqd = await DevNsqd.StartAsync();
        await using var client = await RawNsqClient.ConnectAsync(nsqd.TcpEndPoint);
        var allocatedBefore = GC.GetTotalAllocatedBytes(precise: true);

        var command = new byte[10];
        "PUB t\n"u8.CopyTo(command);
        BinaryPrimitives.WriteInt32BigEndian(command.AsSpan(6), int.MaxValue);
        await client.SendRawAsync(command);

        Assert.Equal("E_BAD_MESSAGE PUB message too big 2147483647 > 1048576", await client.ExpectErrorAsync("E_BAD_MESSAGE"));
        await client.ExpectClosedAsync();
        // Other tests allocate meanwhile; the claimed 2 GiB would dwarf them.
        Assert.True(GC.GetTotalAllocatedBytes(precise: true) - allocatedBefore < 512L * 1024 * 1024);
    }

    [Fact]
    public async Task Identify_SizeOverMaxBodySize_ClosesWithBadBody()
    {
        await using var nsqd = await DevNsqd.StartAsync();
        await using var client = await RawNsqClient.ConnectAsync(nsqd.TcpEndPoint);

        await client.SendRawAsync((byte[])[.. "IDENTIFY\n"u8, 0x7f, 0xff, 0xff, 0xff]);

        Assert.StartsWith("E_BAD_BODY IDENTIFY body too big", await client.ExpectErrorAsync("E_BAD_BODY"), StringComparison.Ordinal);
        await client.ExpectClosedAsync();
    }

    [Fact]
    public async Task ReadLine_LongerThanBuffer_ClosesWithInvalidNamingWhatArrived()
    {
        await using var nsqd = await DevNsqd.StartAsync();
        await using var client = await RawNsqClient.ConnectAsync(nsqd.TcpEndPoint);

        await client.SendRawAsync(Encoding.ASCII.GetBytes(new string('X', 20_000) + "\n"));

        Assert.Contains("XXXX", await client.ExpectErrorAsync("E_INVALID"), StringComparison.Ordinal);
        await client.ExpectClosedAsync();
    }

    [Fact]
    public async Task Identify_StringsThatAreNotUtf8_ReadAsReplacementCharactersAsNsqdDoes()
    {
        await using var nsqd = await DevNsqd.StartAsync();
        await using var client = await RawNsqClient.ConnectAsync(nsqd.TcpEndPoint);
        byte[] json = [.. "{\"client_id\":\"a"u8, 0xc3, 0x28, 0xff, .. "\",\""u8, 0xed, 0xa0, 0x80, .. "\":1}"u8];

        await client.SendRawAsync((byte[])[.. "IDENTIFY\n"u8, 0, 0, 0, (byte)json.Length, .. json]);

        await client.ExpectOkAsync();
        await client.PublishAsync("orders", "after identify");
    }

    [Fact]
    public async Task Identify_UnpairedSurrogateEscape_ClosesWithBadBody()
    {
        await using var nsqd = await DevNsqd.StartAsync();
        await using var client = await RawNsqClient.ConnectAsync(nsqd.TcpEndPoint);
        var json = """{"user_agent":"\ud800"}"""u8.ToArray();

        await client.SendRawAsync((byte[])[.. "IDENTIFY\n"u8, 0, 0, 0, (byte)json.Length, .. json]);

        Assert.Equal("E_BAD_BODY IDENTIFY failed to decode JSON body", await client.ExpectErrorAsync("E_BAD_BODY"));
        await client.ExpectClosedAsync();
    }

    [Fact]
    public async Task Mpub_MessagesLargerThanDeclaredBody_ClosesWithBadBody()
    {
        await using var nsqd = await DevNsqd.StartAsync();
        await using var client = await RawNsqClient.ConnectAsync(nsqd.TcpEndPoint);
        var body = new byte[4 + 4 + 100];
        BinaryPrimitives.WriteInt32BigEndian(body, 1);
        BinaryPrimitives.WriteInt32BigEndian(body.AsSpan(4), 100);

        await client.SendRawAsync((byte[])[.. "MPUB t\n"u8, 0, 0, 0, 8, .. body]);

        await client.ExpectErrorAsync("E_BAD_BODY");
        await client.ExpectClosedAsync();
    }

    [Fact]
    public async Task Garbage_OnOneConnection_OtherConnectionsUnaffected()
    {
        await using var nsqd = await DevNsqd.StartAsync();
        await using var healthy = await RawNsqClient.ConnectAsync(nsqd.TcpEndPoint);
        await healthy.SubscribeAsync("orders", "audit", ready: 10);
        var random = new Random(42);

        for (var i = 0; i < 20; i++)
        {
            await using var hostile = await RawNsqClient.ConnectAsync(nsqd.TcpEndPoint, sendMagic: i % 2 == 0);
            var garbage = new byte[random.Next(1, 4096)];
            random.NextBytes(garbage);
            await hostile.SendRawAsync(garbage);
        }

        await nsqd.PublishAsync("orders", "fine"u8.ToArray());
        Assert.Equal("fine", Encoding.UTF8.GetString((await healthy.ReadMessageAsync()).Body.Span));
    }

    [Fact]
    public async Task Stop_ConnectedClient_SeesSocketCloseAndPortIsFree()
    {
        var nsqd = await DevNsqd.StartAsync();
        var port = nsqd.TcpEndPoint.Port;
        await using var client = await RawNsqClient.ConnectAsync(nsqd.TcpEndPoint);
        await client.SubscribeAsync("orders", "audit", ready: 1);

        await nsqd.StopAsync();

        await client.ExpectClosedAsync();
        await using var again = await DevNsqd.StartAsync(new DevNsqdOptions { TcpPort = port });
        Assert.Equal(port, again.TcpEndPoint.Port);
    }

    [Fact]
    public async Task UnknownCommand_ClosesWithInvalid()
    {
        await using var nsqd = await DevNsqd.StartAsync();
        await using var client = await RawNsqClient.ConnectAsync(nsqd.TcpEndPoint);

        await client.SendLineAsync("FOO bar");

        Assert.Equal("E_INVALID invalid command FOO", (await client.ReadNonHeartbeatAsync()).Text);
        await client.ExpectClosedAsync();
    }
}
