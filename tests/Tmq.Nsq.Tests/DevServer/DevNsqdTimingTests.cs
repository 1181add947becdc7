using System.Text;
using Microsoft.Extensions.Time.Testing;
using Tmq.Nsq.Protocol;
using Tmq.Nsq.Tests.Fakes;

namespace Tmq.Nsq.Tests.DevServer;

/// <summary>Timeouts, deferrals and heartbeats, driven by a fake clock.</summary>
public sealed class DevNsqdTimingTests
{
    private readonly FakeTimeProvider _time = new();

    [Fact]
    public async Task Req_WithDelay_RedeliveredWithAttemptsTwoAfterTheDelay()
    {
        await using var nsqd = await StartAsync();
        await using var client = await ConsumerAsync(nsqd, msgTimeoutMs: 60_000);
        await nsqd.PublishAsync("orders", "x"u8.ToArray());
        var first = await client.ReadMessageAsync();

        await client.SendAsync(w => Command.Req(w, first.Id, 5000));
        await client.BarrierAsync();
        Assert.Equal(1, nsqd.GetChannelStats("orders", "audit")!.DeferredCount);
        _time.Advance(TimeSpan.FromSeconds(4.8));
        await client.BarrierAsync();
        Assert.Equal(1, nsqd.GetChannelStats("orders", "audit")!.DeferredCount);
        _time.Advance(TimeSpan.FromSeconds(0.3));

        var second = await client.ReadMessageAsync();
        Assert.Equal(first.IdString, second.IdString);
        Assert.Equal(2, second.Attempts);
        Assert.Equal(1, nsqd.GetChannelStats("orders", "audit")!.RequeueCount);
    }

    [Fact]
    public async Task MsgTimeout_NotFinished_RequeuedAndCountedAsTimedOut()
    {
        await using var nsqd = await StartAsync();
        await using var client = await ConsumerAsync(nsqd, msgTimeoutMs: 2000);
        var publishedAt = _time.GetUtcNow();
        await nsqd.PublishAsync("orders", "x"u8.ToArray());
        var first = await client.ReadMessageAsync();

        _time.Advance(TimeSpan.FromSeconds(2.1));

        var second = await client.ReadMessageAsync();
        Assert.Equal((first.IdString, 2), (second.IdString, second.Attempts));
        Assert.Equal((publishedAt - DateTimeOffset.UnixEpoch).Ticks * 100, second.TimestampNanoseconds);
        var stats = nsqd.GetChannelStats("orders", "audit")!;
        Assert.Equal((1, 0, 1), (stats.TimeoutCount, stats.RequeueCount, stats.InFlightCount));
    }

    [Fact]
    public async Task Touch_BeforeTimeout_ExtendsByMsgTimeout()
    {
        await using var nsqd = await StartAsync();
        await using var client = await ConsumerAsync(nsqd, msgTimeoutMs: 2000);
        await nsqd.PublishAsync("orders", "x"u8.ToArray());
        var message = await client.ReadMessageAsync();

        _time.Advance(TimeSpan.FromSeconds(1.5));
        await client.SendAsync(w => Command.Touch(w, message.Id));
        await client.BarrierAsync();
        _time.Advance(TimeSpan.FromSeconds(1.5)); // 3.0 s after delivery, 1.5 s after the touch
        await client.BarrierAsync();

        Assert.Equal(0, nsqd.GetChannelStats("orders", "audit")!.TimeoutCount);
        _time.Advance(TimeSpan.FromSeconds(0.6)); // past the touch plus 2 s
        Assert.Equal(2, (await client.ReadMessageAsync()).Attempts);
    }

    [Fact]
    public async Task Touch_PastMaxMsgTimeout_TimesOutAtDeliveryPlusMax()
    {
        await using var nsqd = await StartAsync(o => (o.MaxMsgTimeout, o.MsgTimeout) = (TimeSpan.FromSeconds(3), TimeSpan.FromSeconds(2)));
        await using var client = await ConsumerAsync(nsqd, msgTimeoutMs: 2000);
        await nsqd.PublishAsync("orders", "x"u8.ToArray());
        var message = await client.ReadMessageAsync();

        _time.Advance(TimeSpan.FromSeconds(1.5));
        await client.SendAsync(w => Command.Touch(w, message.Id)); // would reach 3.5 s; the cap is 3 s
        await client.BarrierAsync();
        _time.Advance(TimeSpan.FromSeconds(1.6));

        Assert.Equal(2, (await client.ReadMessageAsync()).Attempts);
    }

    [Fact]
    public async Task Dpub_WithDelay_DeliveredOnlyAfterTheDelay()
    {
        await using var nsqd = await StartAsync();
        await using var client = await ConsumerAsync(nsqd, msgTimeoutMs: 60_000);

        await client.SendAsync(w => Command.Dpub(w, "orders", 3000, "later"u8));
        await client.ExpectOkAsync();
        Assert.Equal(1, nsqd.GetChannelStats("orders", "audit")!.DeferredCount);
        _time.Advance(TimeSpan.FromSeconds(3.1));

        var message = await client.ReadMessageAsync();
        Assert.Equal(("later", 1), (Encoding.UTF8.GetString(message.Body.Span), message.Attempts));
    }

    [Fact]
    public async Task Disconnect_WithMessageInFlight_RequeuedOnlyWhenItTimesOut()
    {
        await using var nsqd = await StartAsync();
        var client = await ConsumerAsync(nsqd, msgTimeoutMs: 2000);
        await nsqd.PublishAsync("orders", "x"u8.ToArray());
        await client.ReadMessageAsync();

        await client.DisposeAsync();
        await Eventually.TrueAsync(() => nsqd.GetChannelStats("orders", "audit")!.ClientCount == 0, "the server noticed the disconnect");
        Assert.Equal((1, 0L), (nsqd.GetChannelStats("orders", "audit")!.InFlightCount, nsqd.GetChannelStats("orders", "audit")!.Depth));
        _time.Advance(TimeSpan.FromSeconds(2.1));

        var stats = nsqd.GetChannelStats("orders", "audit")!;
        Assert.Equal((0, 1L, 1L), (stats.InFlightCount, stats.Depth, stats.TimeoutCount));
    }

    [Fact]
    public async Task Heartbeat_ClientSilent_SentEachIntervalThenDisconnectedAfterTwo()
    {
        await using var nsqd = await StartAsync();
        await using var client = await RawNsqClient.ConnectAsync(nsqd.TcpEndPoint);
        Assert.Equal(FrameType.Response, (await client.IdentifyAsync(new { feature_negotiation = true, heartbeat_interval = 1000 })).Type);

        _time.Advance(TimeSpan.FromSeconds(1));
        Assert.True((await client.ReadFrameAsync())!.Value.IsHeartbeat);
        _time.Advance(TimeSpan.FromSeconds(1)); // two intervals without a command

        await client.ExpectClosedAsync();
    }

    [Fact]
    public async Task Heartbeat_ClientAnswersNop_StaysConnected()
    {
        await using var nsqd = await StartAsync();
        await using var client = await RawNsqClient.ConnectAsync(nsqd.TcpEndPoint);
        await client.IdentifyAsync(new { feature_negotiation = true, heartbeat_interval = 1000 });

        for (var i = 0; i < 5; i++)
        {
            _time.Advance(TimeSpan.FromSeconds(1));
            Assert.True((await client.ReadFrameAsync())!.Value.IsHeartbeat);
            await client.SendAsync(Command.Nop);
            await client.BarrierAsync();
        }

        await client.PublishAsync("orders", "alive");
    }

    private Task<DevNsqd> StartAsync(Action<DevNsqdOptions>? configure = null)
    {
        var options = new DevNsqdOptions { TimeProvider = _time };
        configure?.Invoke(options);
        return DevNsqd.StartAsync(options);
    }

    private static async Task<RawNsqClient> ConsumerAsync(DevNsqd nsqd, int msgTimeoutMs)
    {
        var client = await RawNsqClient.ConnectAsync(nsqd.TcpEndPoint);
        Assert.True((await client.IdentifyAsync(new { msg_timeout = msgTimeoutMs })).IsOk);
        await client.SubscribeAsync("orders", "audit", ready: 1);
        await client.BarrierAsync();
        return client;
    }
}
