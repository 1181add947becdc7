using System.Net;
using System.Net.Sockets;
using Tmq.Nsq;
using Tmq.Nsq.Tests.Fakes;
using Tmqtool.Tests.Fakes;
using Tmqtool.Tests.Support;

namespace Tmqtool.Tests.Commands;

/// <summary>
/// An NSQ verb that cannot do its work (nsqd or nsqlookupd not there, a topic nsqlookupd does not
/// know) exits with 1 and a message that names the address or the topic.
/// </summary>
public sealed class NsqFailureTests
{
    public static TheoryData<string[], string> UnreachableNsqd => new()
    {
        { ["produce", "--topic", "orders", "--value", "v"], "message 1 of 1 was not sent to orders (nsqd {address})" },
        { ["tail", "--topic", "orders"], "nsqd at {address} could not be reached" },
        { ["tail", "--topic", "orders.dlq", "--channel", "tmqtool-replay"], "nsqd at {address} could not be reached" },
        { ["lag", "--topic", "orders"], "no nsqd answered /stats for orders (nsqd {address})" },
        { ["dlq", "replay", "--topic", "orders.dlq"], "nsqd at {address} could not be reached" },
    };

    public static TheoryData<string[]> AnyVerb => new()
    {
        { ["produce", "--topic", "orders", "--value", "v"] },
        { ["tail", "--topic", "orders"] },
        { ["lag", "--topic", "orders"] },
        { ["dlq", "replay", "--topic", "orders.dlq"] },
    };

    public static TheoryData<string[]> ReadingVerbs => new()
    {
        { ["tail", "--topic", "nosuch"] },
        { ["tail", "--topic", "nosuch", "--channel", "c"] },
        { ["lag", "--topic", "nosuch"] },
        { ["dlq", "replay", "--topic", "nosuch"] },
    };

    [Theory]
    [MemberData(nameof(UnreachableNsqd))]
    public async Task Verb_NsqdNotListening_ExitsWithOneNamingTheAddress(string[] verb, string expectedMessage)
    {
        var address = $"127.0.0.1:{ClosedPortPair()}";

        var result = await NsqCli.RunAsync([.. verb, "--nsqd", address]);

        Assert.True(result.ExitCode == ExitCodes.UnexpectedFailure, result.ToString());
        Assert.Contains("error: " + expectedMessage.Replace("{address}", address, StringComparison.Ordinal), result.Error, StringComparison.Ordinal);
    }

    [Theory]
    [MemberData(nameof(AnyVerb))]
    public async Task Verb_LookupdNotListening_ExitsWithOneNamingTheAddress(string[] verb)
    {
        var lookupd = $"http://127.0.0.1:{ClosedPortPair()}/";

        var result = await NsqCli.RunAsync([.. verb, "--lookupd", lookupd]);

        Assert.True(result.ExitCode == ExitCodes.UnexpectedFailure, result.ToString());
        Assert.Contains($"error: no nsqlookupd answered ({lookupd}: ", result.Error, StringComparison.Ordinal);
    }

    public static TheoryData<string, string[]> ReadingVerbsOnEachBroker()
    {
        var data = new TheoryData<string, string[]>();
        foreach (var kind in TestBroker.KindsWithLookupd)
        {
            foreach (var verb in ReadingVerbs)
            {
                data.Add(kind, verb);
            }
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(ReadingVerbsOnEachBroker))]
    public async Task Verb_TopicLookupdDoesNotKnow_ExitsWithOneNamingTheTopic(string kind, string[] verb)
    {
        await using var broker = await TestBroker.StartAsync(kind);
        await broker.PublishAsync("orders", "known"u8.ToArray());
        await broker.WaitForTopicAsync("orders");

        var result = await NsqCli.RunAsync([.. verb, "--lookupd", broker.Lookupd()]);

        Assert.True(result.ExitCode == ExitCodes.UnexpectedFailure, result.ToString());
        Assert.Contains($"error: no nsqd has topic nosuch (asked nsqlookupd {broker.Lookupd()})", result.Error, StringComparison.Ordinal);
        Assert.Null(await broker.ChannelAsync("nosuch", "c"));
    }

    [Fact]
    public async Task Lag_NsqdWithoutTheTopic_ExitsWithOneNamingTheTopic()
    {
        await using var nsqd = await StartOnAdjacentPortsAsync();

        var result = await NsqCli.RunAsync("lag", "--nsqd", Address(nsqd), "--topic", "nosuch");

        Assert.True(result.ExitCode == ExitCodes.UnexpectedFailure, result.ToString());
        Assert.Contains($"error: topic nosuch was not found on {Address(nsqd)}.", result.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Lag_ChannelTheTopicDoesNotHave_ExitsWithOneNamingTheChannel()
    {
        await using var nsqd = await StartOnAdjacentPortsAsync();
        await nsqd.PublishAsync("orders", "m"u8.ToArray());

        var result = await NsqCli.RunAsync("lag", "--nsqd", Address(nsqd), "--topic", "orders", "--channel", "shop.orders");

        Assert.True(result.ExitCode == ExitCodes.UnexpectedFailure, result.ToString());
        Assert.Contains("error: topic orders has no channel shop.orders", result.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Lag_NsqdAddress_ReadsStatsFromTheNextPort()
    {
        await using var nsqd = await StartOnAdjacentPortsAsync();
        await nsqd.PublishAsync("orders", "m"u8.ToArray());

        var result = await NsqCli.RunAsync("lag", "--nsqd", Address(nsqd), "--topic", "orders");

        Assert.True(result.ExitCode == ExitCodes.Success, result.ToString());
        Assert.Contains("topic=orders depth=0 in_flight=0 topic_queue=1", result.Output, StringComparison.Ordinal);
    }

    private static string Address(DevNsqd nsqd) => $"127.0.0.1:{nsqd.TcpEndPoint.Port}";

    /// <summary>A dev nsqd whose HTTP port is its TCP port + 1, as nsqd's defaults (4150, 4151) are: what lag assumes of --nsqd.</summary>
    private static async Task<DevNsqd> StartOnAdjacentPortsAsync()
    {
        for (var attempt = 0; ; attempt++)
        {
            var port = ClosedPortPair();
            try
            {
                return await DevNsqd.StartAsync(new DevNsqdOptions { TcpPort = port, HttpPort = port + 1 });
            }
            catch (SocketException) when (attempt < 20)
            {
                // Taken between the check and the start: try another pair.
            }
        }
    }

    /// <summary>A loopback port nothing listens on, whose next port is free too (lag reads nsqd's HTTP API there).</summary>
    private static int ClosedPortPair()
    {
        while (true)
        {
            using var first = new TcpListener(IPAddress.Loopback, 0);
            first.Start();
            var port = ((IPEndPoint)first.LocalEndpoint).Port;
            if (port == 65535)
            {
                continue;
            }

            using var second = new TcpListener(IPAddress.Loopback, port + 1);
            try
            {
                second.Start();
                return port;
            }
            catch (SocketException)
            {
                // The next port is in use: pick again.
            }
        }
    }
}
