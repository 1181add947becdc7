using System.Net;
using System.Net.Sockets;
using Tmqtool.Tests.Fakes;
using Tmqtool.Tests.Support;

namespace Tmqtool.Tests.Commands;

/// <summary>
/// The NSQ verbs (<c>dev nsq</c>, and produce, tail, lag and dlq replay given <c>--nsqd</c> or
/// <c>--lookupd</c>) refuse bad input with exit code 2 and a message naming the value, before they
/// connect to anything, start a server or hand anything to the Kafka helper.
/// </summary>
public sealed class NsqBadInputTests
{
    /// <summary>Stands for the address of a listener that records any connection made to it.</summary>
    private const string Trap = "{trap}";

    private const string Servers = "127.0.0.1:9092";

    private static readonly string[] Nsqd = ["--nsqd", Trap];

    public static TheoryData<string, string[], string> Cases => new()
    {
        // --nsqd and --lookupd
        { "nsqd without a port", ["produce", "--nsqd", "127.0.0.1", "--topic", "orders", "--value", "v"], "--nsqd '127.0.0.1' is not a valid nsqd address" },
        { "nsqd with a scheme", ["produce", "--nsqd", "tcp://127.0.0.1:4150", "--topic", "orders", "--value", "v"], "--nsqd 'tcp://127.0.0.1:4150' is not a valid nsqd address" },
        { "nsqd given lookupd's URL", ["tail", "--nsqd", "http://127.0.0.1:4161", "--topic", "orders"], "for nsqlookupd's HTTP address use --lookupd" },
        { "nsqd with an empty entry", ["produce", "--nsqd", Trap + ",", "--topic", "orders", "--value", "v"], ",' has an empty entry" },
        { "nsqd with a port out of range", ["lag", "--nsqd", "127.0.0.1:99999", "--topic", "orders"], "--nsqd '127.0.0.1:99999' is not a valid nsqd address" },
        { "nsqd with port zero", ["dlq", "replay", "--nsqd", "127.0.0.1:0", "--topic", "orders.dlq"], "--nsqd '127.0.0.1:0' is not a valid nsqd address" },
        { "nsqd with a space", ["produce", "--nsqd", " " + Trap, "--topic", "orders", "--value", "v"], "is not a valid nsqd address" },
        { "nsqd without an address", ["produce", "--nsqd", "--topic", "orders", "--value", "v"], "--nsqd is given without an address" },
        { "lookupd without an address", ["tail", "--lookupd", "--topic", "orders"], "--lookupd is given without an address" },
        { "lookupd with another scheme", ["lag", "--lookupd", "ftp://127.0.0.1:4161", "--topic", "orders"], "--lookupd 'ftp://127.0.0.1:4161' is not a valid nsqlookupd address" },
        { "lookupd with a port out of range", ["lag", "--lookupd", "http://127.0.0.1:99999", "--topic", "orders"], "--lookupd 'http://127.0.0.1:99999' is not a valid nsqlookupd address" },
        { "lookupd without a host", ["tail", "--lookupd", "http://:4161", "--topic", "orders"], "--lookupd 'http://:4161' is not a valid nsqlookupd address" },
        { "lookupd with an empty entry", ["produce", "--lookupd", "http://" + Trap + ",", "--topic", "orders", "--value", "v"], ",' has an empty entry" },
        { "nsqd and lookupd", ["produce", .. Nsqd, "--lookupd", "http://" + Trap, "--topic", "orders", "--value", "v"], "--nsqd and --lookupd are both given" },
        { "nsqd and bootstrap servers", ["produce", .. Nsqd, "-b", Servers, "--topic", "orders", "--value", "v"], "--bootstrap-servers and --nsqd are both given" },
        { "lookupd and bootstrap servers", ["tail", "--lookupd", "http://" + Trap, "--bootstrap-servers", Servers, "--topic", "orders"], "--bootstrap-servers and --lookupd are both given" },

        // produce
        { "produce without a topic", ["produce", .. Nsqd, "--value", "v"], "--topic is required" },
        { "produce to a bad topic", ["produce", .. Nsqd, "--topic", "a b", "--value", "v"], "--topic 'a b' is not a valid NSQ topic" },
        { "produce to a Kafka-style topic", ["produce", .. Nsqd, "--topic", "orders:3", "--value", "v"], "--topic 'orders:3' is not a valid NSQ topic" },
        { "produce to an over-long topic", ["produce", .. Nsqd, "--topic", new string('t', 65), "--value", "v"], "1 to 64 characters" },
        { "produce an empty value alone", ["produce", .. Nsqd, "--topic", "orders", "--value", ""], "--value '' is empty" },
        { "produce without a value", ["produce", .. Nsqd, "--topic", "orders"], "--value is required" },
        { "produce a header without a name", ["produce", .. Nsqd, "--topic", "orders", "--value", "v", "--header", "=v"], "--header '=v' is not a valid header" },
        { "produce zero messages", ["produce", .. Nsqd, "--topic", "orders", "--value", "v", "--count", "0"], "--count 0 is out of range" },

        // tail
        { "tail from the beginning", ["tail", .. Nsqd, "--topic", "orders", "--from-beginning"], "--from-beginning is a Kafka option, and this run is on NSQ" },
        { "tail a bad topic", ["tail", .. Nsqd, "--topic", "orders/dlq"], "--topic 'orders/dlq' is not a valid NSQ topic" },
        { "tail a bad channel", ["consume", .. Nsqd, "--topic", "orders", "--channel", "a b"], "--channel 'a b' is not a valid NSQ channel" },
        { "tail a channel with a bad suffix", ["tail", .. Nsqd, "--topic", "orders", "--channel", "c#ephemeralx"], "--channel 'c#ephemeralx' is not a valid NSQ channel" },
        { "tail zero messages", ["tail", .. Nsqd, "--topic", "orders", "--count", "0"], "--count 0 is out of range" },

        // lag
        { "lag with a group", ["lag", .. Nsqd, "--topic", "orders", "--group", "shop.orders"], "--group is a Kafka option, and this run is on NSQ" },
        { "lag a bad topic", ["lag", "--lookupd", "http://" + Trap, "--topic", "or\"ders"], "--topic 'or\"ders' is not a valid NSQ topic" },
        { "lag a bad channel", ["lag", .. Nsqd, "--topic", "orders", "--channel", "a\nb"], "--channel 'a\\nb' is not a valid NSQ channel" },
        { "lag with no timeout", ["lag", .. Nsqd, "--topic", "orders", "--timeout", "0"], "--timeout 0 is out of range" },

        // dlq replay
        { "replay with a group", ["dlq", "replay", .. Nsqd, "--topic", "orders.dlq", "--group", "ops.replay"], "--group is a Kafka option, and this run is on NSQ" },
        { "replay without a topic", ["dlq", "replay", .. Nsqd], "--topic is required" },
        { "replay a bad topic", ["dlq", "replay", .. Nsqd, "--topic", "orders dlq"], "--topic 'orders dlq' is not a valid NSQ topic" },
        { "replay to a bad topic", ["dlq", "replay", .. Nsqd, "--topic", "orders.dlq", "--to", "a/b"], "--to 'a/b' is not a valid NSQ topic" },
        { "replay into itself", ["dlq", "replay", .. Nsqd, "--topic", "orders.dlq", "--to", "orders.dlq"], "--to 'orders.dlq' is the topic being replayed" },
        { "replay a bad channel", ["dlq", "replay", .. Nsqd, "--topic", "orders.dlq", "--channel", "tmqtool replay"], "--channel 'tmqtool replay' is not a valid NSQ channel" },
        { "replay zero messages", ["dlq", "replay", .. Nsqd, "--topic", "orders.dlq", "--count", "0"], "--count 0 is out of range" },

        // --channel is NSQ's
        { "kafka tail with a channel", ["tail", "-b", Servers, "--topic", "orders", "--channel", "c"], "--channel is an NSQ option, and this run is on Kafka" },
        { "kafka lag with a channel", ["lag", "-b", Servers, "--topic", "orders", "--group", "g", "--channel", "c"], "--channel is an NSQ option, and this run is on Kafka" },
        { "kafka replay with a channel", ["dlq", "replay", "-b", Servers, "--topic", "orders.dlq", "--channel", "c"], "--channel is an NSQ option, and this run is on Kafka" },

        // dev nsq
        { "dev nsq with a negative port", ["dev", "nsq", "--tcp-port", "-1"], "--tcp-port -1 is out of range" },
        { "dev nsq with an http port too high", ["dev", "nsq", "--http-port", "65536"], "--http-port 65536 is out of range" },
        { "dev nsq with a lookupd port too high", ["dev", "nsq", "--lookupd-port", "70000"], "--lookupd-port 70000 is out of range" },
        { "dev nsq with a word for a port", ["dev", "nsq", "--tcp-port", "abc"], "Cannot parse argument 'abc' for option '--tcp-port' as a whole number" },
        { "dev nsq with tcp on the default http port", ["dev", "nsq", "--tcp-port", "4151"], "--tcp-port, --http-port and --lookupd-port share a port" },
        { "dev nsq with http and lookupd on one port", ["dev", "nsq", "--tcp-port", "0", "--http-port", "5000", "--lookupd-port", "5000"], "share a port" },
        { "dev nsq with a bad topic", ["dev", "nsq", "--topic", "a b"], "--topic 'a b' is not a valid NSQ topic" },
        { "dev nsq with a topic twice", ["dev", "nsq", "--topic", "orders", "--topic", "orders.dlq", "--topic", "orders"], "--topic 'orders' is given twice" },
        { "dev nsq with a topic leaving no room for .dlq", ["dev", "nsq", "--topic", new string('t', 61)], "without that suffix at most 60" },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public async Task BadInput_ExitsWithTwoAndStartsNothing(string scenario, string[] args, string expectedMessage)
    {
        using var trap = new TcpListener(IPAddress.Loopback, 0);
        trap.Start();
        var address = $"127.0.0.1:{((IPEndPoint)trap.LocalEndpoint).Port}";
        var helper = new RecordingHelper();

        var result = await NsqCli.RunAsync(helper, [.. args.Select(a => a.Replace(Trap, address, StringComparison.Ordinal))]);

        Assert.True(result.ExitCode == ExitCodes.InvalidInput, $"{scenario}: {result}");
        Assert.StartsWith("error: ", result.Error, StringComparison.Ordinal);
        Assert.Contains(expectedMessage, result.Error, StringComparison.Ordinal);
        Assert.Empty(result.Output);
        Assert.False(trap.Pending(), $"{scenario}: something connected to {address}");
        Assert.Empty(helper.Requests);
    }

    [Fact]
    public async Task BadInput_RefusedNsqAddress_SaysTheRuleAndTheFix()
    {
        var result = await NsqCli.RunAsync("produce", "--nsqd", "127.0.0.1", "--topic", "orders", "--value", "v");

        Assert.Equal(ExitCodes.InvalidInput, result.ExitCode);
        Assert.Contains("rule: nsqd's TCP address, host:port", result.Error, StringComparison.Ordinal);
        Assert.Contains("fix:  e.g. --nsqd 127.0.0.1:4150", result.Error, StringComparison.Ordinal);
    }
}
