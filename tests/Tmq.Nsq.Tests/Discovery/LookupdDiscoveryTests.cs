using Microsoft.Extensions.Time.Testing;
using Tmq.Nsq.Tests.Fakes;

namespace Tmq.Nsq.Tests.Discovery;

/// <summary>Finding nsqd through nsqlookupd: several lookupd united, nsqd added and removed as they come and go.</summary>
public sealed class LookupdDiscoveryTests
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(10);

    [Fact]
    public async Task Discover_TwoLookupd_ConnectsToEveryNsqdEitherLists()
    {
        await using var a = ScriptedNsqd.Start();
        await using var b = ScriptedNsqd.Start();
        await using var first = ScriptedLookupd.Start();
        await using var second = ScriptedLookupd.Start();
        first.List(a.EndPoint.Port);
        second.List(a.EndPoint.Port, b.EndPoint.Port);

        await using var host = await NsqTestHost.StartAsync(Settings(first, second), static (_, _) => Task.CompletedTask);

        await a.WaitForCommandAsync("SUB", Wait);
        await b.WaitForCommandAsync("SUB", Wait);
        Assert.Equal(1, a.ConnectionsAccepted);
    }

    [Fact]
    public async Task Discover_NsqdAppearsAndLeaves_IsAddedAtTheNextPollAndNotReconnectedOnceGone()
    {
        var time = new FakeTimeProvider(DateTimeOffset.UnixEpoch.AddDays(20000));
        await using var a = ScriptedNsqd.Start();
        await using var b = ScriptedNsqd.Start();
        await using var lookupd = ScriptedLookupd.Start();
        lookupd.List(a.EndPoint.Port);
        var settings = Settings(lookupd);
        settings["Consumers:main:Nsq:LookupdPollInterval"] = "00:00:02";
        await using var host = await NsqTestHost.StartAsync(settings, static (_, _) => Task.CompletedTask, time);
        await a.WaitForCommandAsync("RDY", Wait);

        // Less than the heartbeat interval: the fake clock must not make the connection look silent.
        lookupd.List(a.EndPoint.Port, b.EndPoint.Port);
        time.Advance(TimeSpan.FromSeconds(3));
        await b.WaitForCommandAsync("RDY", Wait);
        await a.WaitUntilAsync(() => a.Commands.Any(c => c.Line == "RDY 100"), Wait, "MaxInFlight is split over both");

        // a leaves lookupd as an nsqd does when it shuts down, then its connection drops: the
        // dropped connection makes the consumer ask lookupd again, and a is not reconnected.
        lookupd.List(b.EndPoint.Port);
        var asked = lookupd.Lookups;
        await a.StopListeningAsync();
        a.AbortConnections();
        await Eventually.TrueAsync(() => lookupd.Lookups > asked, "the dropped connection triggers a lookup");
        await Eventually.TrueAsync(() => host.Logs.Contains("is no longer listed by any lookupd"), "the consumer lets a go");
        a.StartListening();
        time.Advance(TimeSpan.FromSeconds(5));
        await b.WaitUntilAsync(() => b.Commands.Any(c => c.Line == "RDY 200"), Wait, "b gets all of MaxInFlight");
        Assert.Equal(1, a.ConnectionsAccepted);
    }

    [Fact]
    public async Task Discover_LookupdUnreachable_KeepsItsLastAnswerAndSaysSo()
    {
        await using var a = ScriptedNsqd.Start();
        var lookupd = ScriptedLookupd.Start();
        lookupd.List(a.EndPoint.Port);
        var settings = Settings(lookupd);
        await using var host = await NsqTestHost.StartAsync(settings, static (_, _) => Task.CompletedTask);
        await a.WaitForCommandAsync("RDY", Wait);

        await lookupd.DisposeAsync();
        a.AbortConnections();

        await Eventually.TrueAsync(() => host.Logs.Contains("could not be asked"), "the failed lookup is logged");
        await a.WaitUntilAsync(() => a.Commands.Count(c => c.Name == "SUB") == 2, Wait, "the consumer reconnects to the nsqd lookupd listed last");
    }

    [Fact]
    public async Task Discover_FixedNsqdBesideLookupd_ConsumesBothAndKeepsTheFixedOneWhateverLookupdSays()
    {
        await using var fixedNsqd = ScriptedNsqd.Start();
        await using var listed = ScriptedNsqd.Start();
        await using var lookupd = ScriptedLookupd.Start();
        lookupd.List(listed.EndPoint.Port);
        var settings = Settings(lookupd);
        settings["Consumers:main:Nsq:Nsqd:0"] = $"127.0.0.1:{fixedNsqd.EndPoint.Port}";
        await using var host = await NsqTestHost.StartAsync(settings, static (_, _) => Task.CompletedTask);
        await fixedNsqd.WaitForCommandAsync("SUB", Wait);
        await listed.WaitForCommandAsync("SUB", Wait);

        lookupd.List();
        var asked = lookupd.Lookups;
        fixedNsqd.AbortConnections();
        await Eventually.TrueAsync(() => lookupd.Lookups > asked, "the dropped connection triggers a lookup");

        await fixedNsqd.WaitUntilAsync(() => fixedNsqd.Commands.Count(c => c.Name == "SUB") == 2, Wait, "the configured nsqd is reconnected although no lookupd lists it");
    }

    private static Dictionary<string, string?> Settings(params ScriptedLookupd[] lookupd)
    {
        var settings = new Dictionary<string, string?>();
        for (var i = 0; i < lookupd.Length; i++)
        {
            settings[$"Consumers:main:Nsq:Lookupd:{i}"] = lookupd[i].Address.ToString();
        }

        return settings;
    }
}
