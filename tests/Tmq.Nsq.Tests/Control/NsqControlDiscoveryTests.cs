using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;
using Tmq.Nsq.Control;
using Tmq.Nsq.Tests.Fakes;

namespace Tmq.Nsq.Tests.Control;

/// <summary>Which nsqd the control reader subscribes on, on which channel, and how it keeps them: against scripted nsqd and lookupd.</summary>
public sealed class NsqControlDiscoveryTests
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(10);

    [Fact]
    public async Task Lookupd_NsqdListedLater_IsSubscribedAtTheNextPoll()
    {
        var time = new FakeTimeProvider(DateTimeOffset.UnixEpoch.AddDays(20000));
        await using var a = ScriptedNsqd.Start();
        await using var b = ScriptedNsqd.Start();
        await using var lookupd = ScriptedLookupd.Start();
        lookupd.List(a.EndPoint.Port);
        await using var host = await StartAsync(time, new()
        {
            ["Control:Nsq:Lookupd:0"] = lookupd.Address.ToString(),
            ["Control:Nsq:LookupdPollInterval"] = "00:00:02",
        });

        // Start-up returned once subscribed on what lookupd listed then.
        var sub = Assert.Single(a.Commands, static c => c.Name == "SUB");
        Assert.Equal("tmq.control", sub.Parameters[0]);
        // No consumer, so no Tmq:Service is read: the channel is named for the reader alone.
        Assert.StartsWith("tmq-control-", sub.Parameters[1], StringComparison.Ordinal);
        Assert.EndsWith("#ephemeral", sub.Parameters[1], StringComparison.Ordinal);
        await a.WaitForCommandAsync("RDY", Wait);
        Assert.Equal(0, b.ConnectionsAccepted);

        // Less than the heartbeat interval: the fake clock must not make the connection look silent.
        lookupd.List(a.EndPoint.Port, b.EndPoint.Port);
        time.Advance(TimeSpan.FromSeconds(3));

        var later = await b.WaitForCommandAsync("SUB", Wait);
        Assert.Equal(sub.Line, later.Line);
    }

    [Fact]
    public async Task Nsqd_ConnectionDrops_ReconnectsAndSubscribesTheSameChannelAgain()
    {
        await using var nsqd = ScriptedNsqd.Start();
        await using var host = await StartAsync(TimeProvider.System, new()
        {
            ["Control:Nsq:Nsqd:0"] = $"127.0.0.1:{nsqd.EndPoint.Port}",
            ["Control:Nsq:ReconnectDelay"] = "00:00:00.050",
            ["Control:Nsq:MaxReconnectDelay"] = "00:00:00.200",
        });
        var first = await nsqd.WaitForCommandAsync("SUB", Wait);

        nsqd.AbortConnections();

        await nsqd.WaitUntilAsync(() => nsqd.Commands.Count(static c => c.Name == "SUB") == 2, Wait, "the reader subscribes again");
        Assert.All(nsqd.Commands.Where(static c => c.Name == "SUB"), c => Assert.Equal(first.Line, c.Line));
        await Eventually.TrueAsync(() => host.Logs.Contains("Control reader: connection to nsqd"), "the lost connection is logged");
    }

    [Fact]
    public async Task Start_NoControlNsqAndNoNsqConsumer_FailsNamingTheSettings()
    {
        var failure = await Assert.ThrowsAsync<TmqSettingsException>(() => StartAsync(TimeProvider.System, []));

        Assert.Contains("Tmq:Control:Nsq is not set and no NSQ consumer has nsqd or lookupd addresses", failure.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ChannelName_LongServiceWithOddCharacters_FitsNsqRules()
    {
        var name = NsqControlListener.ChannelName("shop/orders consumer:" + new string('x', 80), "0123456789ab");

        Assert.True(NsqNames.IsValid(name), name);
        Assert.Equal(NsqNames.MaxLength, name.Length);
        Assert.StartsWith("shop_orders_consumer_xxx", name, StringComparison.Ordinal);
        Assert.EndsWith("-0123456789ab#ephemeral", name, StringComparison.Ordinal);
    }

    [Fact]
    public void ChannelName_NoService_UsesTmqControl()
    {
        Assert.Equal("tmq-control-0123456789ab#ephemeral", NsqControlListener.ChannelName(string.Empty, "0123456789ab"));
    }

    private static Task<NsqTestHost> StartAsync(TimeProvider time, Dictionary<string, string?> settings) =>
        NsqTestHost.StartAsync(settings, static (_, _) => Task.CompletedTask, time, consumer: false, configure: static services => services.AddTmqNsqControl());
}
