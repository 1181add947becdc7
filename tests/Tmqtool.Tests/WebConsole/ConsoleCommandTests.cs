using System.Net;
using System.Net.Sockets;
using System.Text;
using Tmqtool.Tests.Support;

namespace Tmqtool.Tests.WebConsole;

public sealed class ConsoleCommandTests
{
    [Theory]
    [InlineData("--listen", "localhost-ish", "--listen")]
    [InlineData("--token", "short", "at least 16 characters")]
    [InlineData("--port", "70000", "--port")]
    [InlineData("--minutes", "0", "--minutes")]
    [InlineData("--status-topic", "bad topic!", "--status-topic")]
    public void Console_InvalidValue_ExitsTwoSayingWhich(string option, string value, string expected)
    {
        using var directory = new TempDirectory();

        var result = TestCli.Run(directory.Path, "console", "--bootstrap-servers", "127.0.0.1:9092", option, value);

        Assert.True(result.ExitCode == 2, result.ToString());
        Assert.Contains(expected, result.Error, StringComparison.Ordinal);
    }

    [Fact]
    public void Console_KafkaAndNsqBoth_ExitsTwo()
    {
        using var directory = new TempDirectory();

        var result = TestCli.Run(directory.Path, "console", "--bootstrap-servers", "127.0.0.1:9092", "--nsqd", "127.0.0.1:4150");

        Assert.True(result.ExitCode == 2, result.ToString());
        Assert.Contains("are both given", result.Error, StringComparison.Ordinal);
    }

    [Fact]
    public void Console_PortInUse_ExitsOneSayingSo()
    {
        using var directory = new TempDirectory();
        using var taken = new TcpListener(IPAddress.Loopback, 0);
        taken.Start();
        var port = ((IPEndPoint)taken.LocalEndpoint).Port.ToString(System.Globalization.CultureInfo.InvariantCulture);

        var result = TestCli.Run(directory.Path, "console", "--nsqd", "127.0.0.1:9", "--port", port);

        Assert.True(result.ExitCode == 1, result.ToString());
        Assert.Contains($"cannot serve on 127.0.0.1:{port}", result.Error, StringComparison.Ordinal);
    }

    [Fact]
    public void Console_WithoutToken_MakesOneAndPrintsItInTheAddress()
    {
        var (exit, output, error) = RunUntilAddress("console", "--nsqd", "127.0.0.1:9", "--port", "0");

        Assert.True(exit == 0, $"exit {exit}\n{output}\n{error}");
        Assert.Matches(@"tmqtool console: http://127\.0\.0\.1:\d+/\?token=[0-9a-f]{32}", output);
    }

    [Fact]
    public void Console_WithItsOwnToken_NeverPrintsIt()
    {
        var (exit, output, error) = RunUntilAddress("console", "--nsqd", "127.0.0.1:9", "--port", "0", "--token", "my-secret-token-1234");

        Assert.True(exit == 0, $"exit {exit}\n{output}\n{error}");
        Assert.Matches(@"tmqtool console: http://127\.0\.0\.1:\d+/\?token=<your token>", output);
        Assert.DoesNotContain("my-secret-token-1234", output + error, StringComparison.Ordinal);
    }

    [Fact]
    public void Console_ListeningOnEveryInterface_PrintsThisMachinesNameAndAdvisesATunnel()
    {
        var (exit, output, error) = RunUntilAddress("console", "--nsqd", "127.0.0.1:9", "--listen", "0.0.0.0", "--port", "0");

        Assert.True(exit == 0, $"exit {exit}\n{output}\n{error}");
        Assert.Matches($@"tmqtool console: http://{System.Text.RegularExpressions.Regex.Escape(Dns.GetHostName().ToLowerInvariant())}:\d+/\?token=[0-9a-f]{{32}}", output.ToLowerInvariant());
        Assert.Contains("prefer an SSH tunnel", error, StringComparison.Ordinal);
    }

    /// <summary>Runs the console until it printed its address, then stops it as Ctrl+C would.</summary>
    private static (int Exit, string Output, string Error) RunUntilAddress(params string[] args)
    {
        using var directory = new TempDirectory();
        using var stop = new CancellationTokenSource();
        var output = new StopWhenWritten("tmqtool console: ", stop);
        using var error = new StringWriter();
        var environment = new CliEnvironment(directory.Path, TestCli.Versions, BundledFeedDirectory: null) { Stop = stop.Token };
        var exit = Cli.Run(args, output, error, environment);
        return (exit, output.ToString(), error.ToString());
    }

    /// <summary>Stops the console once it printed its address: the run ends as Ctrl+C would end it.</summary>
    private sealed class StopWhenWritten(string text, CancellationTokenSource stop) : TextWriter
    {
        private readonly StringBuilder _written = new();

        public override Encoding Encoding => Encoding.UTF8;

        public override void Write(char value)
        {
            lock (_written)
            {
                _written.Append(value);
                if (value == '\n' && _written.ToString().Contains(text, StringComparison.Ordinal))
                {
                    stop.Cancel();
                }
            }
        }

        public override string ToString()
        {
            lock (_written)
            {
                return _written.ToString();
            }
        }
    }
}
