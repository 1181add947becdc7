using System.Net;
using System.Net.Sockets;
using Tmqtool.Tests.Support;

namespace Tmqtool.Tests.Commands;

/// <summary><c>tmqtool dev nsq</c> in-process on free ports: what it prints, that it serves the other verbs, and that it stops.</summary>
public sealed class DevNsqCommandTests
{
    [Fact]
    public async Task DevNsq_FreePorts_PrintsItsAddressesServesAndStopsWhenStopped()
    {
        using var dev = BackgroundCli.Start("dev", "nsq", "--tcp-port", "0", "--http-port", "0", "--lookupd-port", "0", "--topic", "orders", "--topic", "orders.dlq");

        var nsqd = Field(await dev.OutputLineAsync("nsqd tcp: "));
        var http = Field(await dev.OutputLineAsync("nsqd http: "));
        var lookupd = Field(await dev.OutputLineAsync("nsqlookupd http: "));
        var created = await NsqCli.RunAsync("lag", "--lookupd", lookupd, "--topic", "orders.dlq");
        var produced = await NsqCli.RunAsync("produce", "--nsqd", nsqd, "--topic", "orders", "--value", "hello");
        var lag = await NsqCli.RunAsync("lag", "--lookupd", lookupd, "--topic", "orders");
        var stopped = await dev.StopAsync();
        var afterStop = await NsqCli.RunAsync("produce", "--nsqd", nsqd, "--topic", "orders", "--value", "hello");

        Assert.Matches(@"^127\.0\.0\.1:[1-9][0-9]*$", nsqd);
        Assert.Matches(@"^http://127\.0\.0\.1:[1-9][0-9]*/$", http);
        Assert.True(created.ExitCode == ExitCodes.Success, created.ToString());
        Assert.Contains("topic=orders.dlq depth=0 in_flight=0 topic_queue=0", created.Output, StringComparison.Ordinal);
        Assert.True(produced.ExitCode == ExitCodes.Success, produced.ToString());
        Assert.Contains("topic=orders depth=0 in_flight=0 topic_queue=1", lag.Output, StringComparison.Ordinal);
        Assert.True(stopped.ExitCode == ExitCodes.Success, stopped.ToString());
        Assert.Contains("Topics: orders, orders.dlq.", stopped.Output, StringComparison.Ordinal);
        Assert.EndsWith("Development nsqd stopped.\n", stopped.Output, StringComparison.Ordinal);
        Assert.True(afterStop.ExitCode == ExitCodes.UnexpectedFailure, afterStop.ToString());
    }

    [Fact]
    public async Task DevNsq_PortTaken_ExitsWithOneNamingThePorts()
    {
        using var taken = new TcpListener(IPAddress.Loopback, 0);
        taken.Start();
        var port = ((IPEndPoint)taken.LocalEndpoint).Port;

        var result = await NsqCli.RunAsync("dev", "nsq", "--tcp-port", "0", "--http-port", port.ToString(System.Globalization.CultureInfo.InvariantCulture), "--lookupd-port", "0");

        Assert.True(result.ExitCode == ExitCodes.UnexpectedFailure, result.ToString());
        Assert.Contains("error: a port is taken", result.Error, StringComparison.Ordinal);
        Assert.Contains($"http {port}", result.Error, StringComparison.Ordinal);
        Assert.Empty(result.Output);
    }

    [Fact]
    public void DevNsq_Help_ShowsTheDefaultPortsAndExamples()
    {
        var result = TestCli.Run(AppContext.BaseDirectory, "dev", "nsq", "--help");

        Assert.Equal(ExitCodes.Success, result.ExitCode);
        Assert.Contains("Examples:", result.Output, StringComparison.Ordinal);
        Assert.Contains("tmqtool dev nsq --tcp-port 0 --http-port 0 --lookupd-port 0", result.Output, StringComparison.Ordinal);
        Assert.Contains("[default: 4150]", result.Output, StringComparison.Ordinal);
    }

    private static string Field(string line) => line[(line.IndexOf(": ", StringComparison.Ordinal) + 2)..];
}
