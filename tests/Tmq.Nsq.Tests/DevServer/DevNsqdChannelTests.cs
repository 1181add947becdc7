using System.Text;
using Tmq.Nsq.Tests.Fakes;

namespace Tmq.Nsq.Tests.DevServer;

/// <summary>How a channel shares messages: every channel gets each, clients of one channel split them.</summary>
public sealed class DevNsqdChannelTests
{
    [Fact]
    public async Task Pub_TwoChannels_EachGetsEveryMessage()
    {
        await using var nsqd = await DevNsqd.StartAsync();
        await using var first = await RawNsqClient.ConnectAsync(nsqd.TcpEndPoint);
        await using var second = await RawNsqClient.ConnectAsync(nsqd.TcpEndPoint);
        await first.SubscribeAsync("orders", "search", ready: 10);
        await second.SubscribeAsync("orders", "audit", ready: 10);

        await nsqd.PublishAsync("orders", "a"u8.ToArray());
        await nsqd.PublishAsync("orders", "b"u8.ToArray());

        foreach (var client in new[] { first, second })
        {
            var bodies = new[] { await client.ReadMessageAsync(), await client.ReadMessageAsync() }.Select(m => Encoding.UTF8.GetString(m.Body.Span));
            Assert.Equal(["a", "b"], bodies.Order());
        }
    }

    [Fact]
    public async Task Pub_TwoClientsOnOneChannel_MessagesSpreadOverBoth()
    {
        await using var nsqd = await DevNsqd.StartAsync();
        await using var first = await RawNsqClient.ConnectAsync(nsqd.TcpEndPoint);
        await using var second = await RawNsqClient.ConnectAsync(nsqd.TcpEndPoint);
        await first.SubscribeAsync("orders", "search", ready: 10);
        await second.SubscribeAsync("orders", "search", ready: 10);
        await first.BarrierAsync();
        await second.BarrierAsync();

        for (var i = 0; i < 4; i++)
        {
            await nsqd.PublishAsync("orders", Encoding.UTF8.GetBytes($"m{i}"));
        }

        var ids = new List<string>();
        foreach (var client in new[] { first, second })
        {
            ids.Add((await client.ReadMessageAsync()).IdString);
            ids.Add((await client.ReadMessageAsync()).IdString);
        }

        Assert.Equal(4, ids.Distinct().Count());
    }

    [Fact]
    public async Task Cls_Subscribed_AnswersCloseWaitAndSendsNoMore()
    {
        await using var nsqd = await DevNsqd.StartAsync();
        await using var client = await RawNsqClient.ConnectAsync(nsqd.TcpEndPoint);
        await client.SubscribeAsync("orders", "audit", ready: 5);

        await client.SendLineAsync("CLS");
        Assert.True((await client.ReadNonHeartbeatAsync()).IsCloseWait);
        await nsqd.PublishAsync("orders", "late"u8.ToArray());
        await client.BarrierAsync();

        Assert.Equal(1, nsqd.GetChannelStats("orders", "audit")!.Depth);
    }

    [Fact]
    public async Task Pub_EphemeralChannelLastClientLeaves_ChannelDeleted()
    {
        await using var nsqd = await DevNsqd.StartAsync();
        var client = await RawNsqClient.ConnectAsync(nsqd.TcpEndPoint);
        await client.SubscribeAsync("orders", "tail#ephemeral", ready: 1);
        Assert.NotNull(nsqd.GetChannelStats("orders", "tail#ephemeral"));

        await client.DisposeAsync();

        await Eventually.TrueAsync(() => nsqd.GetChannelStats("orders", "tail#ephemeral") is null, "the ephemeral channel is deleted with its last client");
    }
}
