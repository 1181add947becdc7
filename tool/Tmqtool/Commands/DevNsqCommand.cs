using System.CommandLine;
using System.Globalization;
using System.Net.Sockets;
using Tmq.Nsq;
using Tmqtool.Validation;
using NsqNames = Tmqtool.Validation.NsqNames;

namespace Tmqtool.Commands;

/// <summary>
/// <c>tmqtool dev nsq</c>: runs the development nsqd (<see cref="DevNsqd"/>, with nsqlookupd's
/// <c>/lookup</c> on a port of its own) in the foreground until Ctrl+C or SIGTERM.
/// </summary>
/// <remarks>
/// Its default ports are nsqd's and nsqlookupd's (4150, 4151, 4161), the addresses a generated NSQ
/// worker's appsettings.json expects, so the worker runs against it unchanged.
/// </remarks>
internal sealed class DevNsqCommand
{
    internal const string Examples = """
          tmqtool dev nsq
          tmqtool dev nsq --topic orders --topic orders.dlq
          tmqtool dev nsq --tcp-port 0 --http-port 0 --lookupd-port 0   # free ports, printed at start
        """;

    private readonly Option<int> _tcpPort = Port("--tcp-port", 4150, "nsqd's TCP protocol (producers and consumers)");
    private readonly Option<int> _httpPort = Port("--http-port", 4151, "nsqd's HTTP API (/pub, /stats)");
    private readonly Option<int> _lookupdPort = Port("--lookupd-port", 4161, "nsqlookupd's HTTP API (/lookup, /nodes), for consumers that discover nsqd");

    private readonly Option<string[]> _topics = new("--topic")
    {
        Description = "Create a topic at start, so that nsqlookupd lists it before anything is published. Repeat for more. Other topics are created by their first PUB or SUB.",
        HelpName = "name",
        Arity = ArgumentArity.ZeroOrMore,
    };

    private readonly CliEnvironment _environment;

    private DevNsqCommand(CliEnvironment environment) => _environment = environment;

    internal static Command Create(CliEnvironment environment)
    {
        var verb = new DevNsqCommand(environment);
        var command = new Command(
            "nsq",
            "Run a development nsqd (in this process, in memory: a stop loses every message; not for production) with nsqlookupd's /lookup, until Ctrl+C or SIGTERM, and print its addresses.")
        {
            verb._tcpPort, verb._httpPort, verb._lookupdPort, verb._topics,
        };
        command.SetAction(verb.Execute);
        return command;
    }

    private static Option<int> Port(string name, int port, string what) => new(name)
    {
        Description = $"127.0.0.1 port of {what}; 0 picks a free one.",
        DefaultValueFactory = _ => port,
        HelpName = "port",
    };

    private int Execute(ParseResult parse)
    {
        var output = parse.InvocationConfiguration.Output;
        var error = parse.InvocationConfiguration.Error;
        DevNsqdOptions options;
        List<string> topics;
        try
        {
            options = new DevNsqdOptions
            {
                TcpPort = CheckPort(parse, _tcpPort),
                HttpPort = CheckPort(parse, _httpPort),
                LookupdHttpPort = CheckPort(parse, _lookupdPort),
            };
            var ports = new[] { options.TcpPort, options.HttpPort, options.LookupdHttpPort }.Where(static p => p > 0).ToList();
            if (ports.Distinct().Count() != ports.Count)
            {
                throw new InputException("--tcp-port, --http-port and --lookupd-port share a port.", "three different ports (or 0 for free ones)", "e.g. the defaults 4150, 4151 and 4161");
            }

            topics = [];
            foreach (var topic in parse.GetValue(_topics) ?? [])
            {
                var name = NsqNames.ValidateTopic(topic);
                if (topics.Contains(name))
                {
                    throw new InputException($"--topic {Display.Quote(name)} is given twice.", "each topic once", "keep one --topic for it");
                }

                topics.Add(name);
            }
        }
        catch (InputException e)
        {
            error.WriteLine("error: " + e.Message);
            return ExitCodes.InvalidInput;
        }

        using var stop = _environment.ListenForStop();
        return RunAsync(options, topics, output, error, _environment.Time, stop.Token).GetAwaiter().GetResult();
    }

    private static async Task<int> RunAsync(DevNsqdOptions options, List<string> topics, TextWriter output, TextWriter error, TimeProvider time, CancellationToken stop)
    {
        DevNsqd nsqd;
        try
        {
            nsqd = await DevNsqd.StartAsync(options, stop).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            // Stopped while starting.
            return ExitCodes.Success;
        }
        catch (SocketException e)
        {
            error.WriteLine($"error: a port is taken ({e.Message}): tcp {options.TcpPort}, http {options.HttpPort}, lookupd {options.LookupdHttpPort}. A real nsqd or another `tmqtool dev nsq` may be running; stop it, or pick other ports (0 picks free ones).");
            return ExitCodes.UnexpectedFailure;
        }

        await using (nsqd.ConfigureAwait(false))
        {
            foreach (var topic in topics)
            {
                nsqd.CreateTopic(topic);
            }

            output.WriteLine("Development nsqd started: in memory, so a stop loses every message; for local runs, not production.");
            output.WriteLine(topics.Count == 0
                ? "Topics: none created; a topic is created by its first PUB or SUB."
                : "Topics: " + string.Join(", ", topics) + ". Others are created by their first PUB or SUB.");
            output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"nsqd tcp: {nsqd.TcpEndPoint}"));
            output.WriteLine($"nsqd http: {nsqd.HttpAddress}");
            output.WriteLine($"nsqlookupd http: {nsqd.LookupdHttpAddress}");
            output.WriteLine("Running; stop with Ctrl+C (or SIGTERM).");
            output.Flush();
            try
            {
                await Task.Delay(Timeout.InfiniteTimeSpan, time, stop).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
            }
        }

        output.WriteLine("Development nsqd stopped.");
        return ExitCodes.Success;
    }

    private static int CheckPort(ParseResult parse, Option<int> option)
    {
        var port = parse.GetValue(option);
        InputException.CheckRange(option.Name, port, 0, 65535, $"e.g. {option.Name} 0 for a free port, or leave it out for the default");
        return port;
    }
}
