using System.CommandLine;
using System.Net;
using System.Security.Cryptography;
using Tmqtool.Nsq;
using Tmqtool.Validation;
using Tmqtool.WebConsole;

namespace Tmqtool.Commands;

/// <summary>
/// <c>tmqtool console</c>: a web page, served locally, over the status and control topics the
/// services already use: every consumer and instance, lag or depth over the last minutes, dead
/// letters, and buttons to pause, resume and replay (each asks first). Runs until stopped.
/// </summary>
internal sealed class ConsoleCommand
{
    internal const int DefaultPort = 7790;
    internal const string TokenVariable = "TMQTOOL_CONSOLE_TOKEN";
    internal const int MinTokenLength = 16;

    internal const string Examples = """
          tmqtool console --bootstrap-servers 127.0.0.1:9092
          tmqtool console --lookupd http://127.0.0.1:4161 --port 8080
          TMQTOOL_CONSOLE_TOKEN=$(openssl rand -hex 16) tmqtool console --bootstrap-servers kafka:9092 --listen 0.0.0.0
        """;

    private readonly Option<string> _bootstrapServers = BootstrapServers.CreateOption();

    private readonly Option<int> _port = new("--port")
    {
        Description = $"The port to serve the page on, 0 (any free one) to 65535.",
        DefaultValueFactory = _ => DefaultPort,
        HelpName = "port",
    };

    private readonly Option<string> _listen = new("--listen")
    {
        Description = "The address to serve on. Default: 127.0.0.1, this machine only (0.0.0.0: every interface, over plain HTTP; an SSH tunnel is safer).",
        HelpName = "address",
    };

    private readonly Option<string> _token = new("--token")
    {
        Description = $"The secret every request must carry, at least {MinTokenLength} characters. Default: ${TokenVariable}, or one made for this run and printed in the address to open.",
        HelpName = "secret",
    };

    private readonly Option<string> _statusTopic = new("--status-topic")
    {
        Description = $"The status topic the services report to (their Tmq:Control:StatusTopic). Default: {StatusCommand.DefaultTopic} on Kafka, {StatusCommand.DefaultNsqTopic} on NSQ.",
        HelpName = "topic",
    };

    private readonly Option<string> _controlTopic = new("--control-topic")
    {
        Description = $"The control topic the services read (their Tmq:Control:Topic). Default: {ControlCommand.DefaultTopic}.",
        DefaultValueFactory = _ => ControlCommand.DefaultTopic,
        HelpName = "topic",
    };

    private readonly Option<int> _minutes = new("--minutes")
    {
        Description = "How many minutes of lag or depth the charts show, 1 to 120; on Kafka also how far back the reports are read at start.",
        DefaultValueFactory = _ => 10,
        HelpName = "minutes",
    };

    private readonly Option<int> _timeout = BrokerTimeout.CreateOption();

    private readonly CliEnvironment _environment;
    private readonly BrokerVerb _broker;

    private ConsoleCommand(CliEnvironment environment)
    {
        _environment = environment;
        _broker = new BrokerVerb(_bootstrapServers);
    }

    internal static Command Create(CliEnvironment environment)
    {
        var verb = new ConsoleCommand(environment);
        var command = new Command("console", "Serve a web console on this machine: every service's consumers and instances from the status topic, lag or depth over the last minutes, dead letters, and buttons to pause, resume and replay dead letters. Runs until Ctrl+C.")
        {
            verb._bootstrapServers, verb._broker.Nsqd, verb._broker.Lookupd, verb._port, verb._listen, verb._token, verb._statusTopic, verb._controlTopic, verb._minutes, verb._timeout,
        };
        command.SetAction(verb.Execute);
        return command;
    }

    private int Execute(ParseResult parse)
    {
        var output = parse.InvocationConfiguration.Output;
        var error = parse.InvocationConfiguration.Error;
        ConsoleSettings settings;
        IConsoleBroker broker;
        var madeToken = false;
        try
        {
            var target = _broker.ReadNsq(parse);

            var servers = target is null ? BootstrapServers.Validate(parse.GetValue(_bootstrapServers)) : null;
            var statusTopic = target is null
                ? KafkaNames.ValidateAnyTopic("--status-topic", parse.GetValue(_statusTopic) ?? StatusCommand.DefaultTopic, StatusCommand.DefaultTopic)
                : NsqNames.ValidateAnyTopic("--status-topic", parse.GetValue(_statusTopic) ?? StatusCommand.DefaultNsqTopic, StatusCommand.DefaultNsqTopic);
            var controlTopic = target is null
                ? KafkaNames.ValidateAnyTopic("--control-topic", parse.GetValue(_controlTopic), ControlCommand.DefaultTopic)
                : NsqNames.ValidateAnyTopic("--control-topic", parse.GetValue(_controlTopic), ControlCommand.DefaultTopic);
            var port = parse.GetValue(_port);
            InputException.CheckRange("--port", port, 0, 65535, $"e.g. --port {DefaultPort}, or 0 for any free port");
            var minutes = parse.GetValue(_minutes);
            InputException.CheckRange("--minutes", minutes, 1, 120, "e.g. --minutes 10");
            var timeout = BrokerTimeout.Read(parse, _timeout);
            var listen = IPAddress.Loopback;
            if (parse.GetValue(_listen) is { } address && !IPAddress.TryParse(address, out listen))
            {
                throw InputException.Invalid("--listen", address, "address", "an IP address of this machine, e.g. 127.0.0.1 or 0.0.0.0 (every interface)", "e.g. --listen 127.0.0.1");
            }

            var token = parse.GetValue(_token) ?? (Environment.GetEnvironmentVariable(TokenVariable) is { Length: > 0 } fromEnvironment ? fromEnvironment : null);
            if (token is not null && (token.Length < MinTokenLength || token.Any(static c => char.IsWhiteSpace(c) || char.IsControl(c))))
            {
                throw new InputException(
                    $"the console token is {token.Length} characters{(token.Any(static c => char.IsWhiteSpace(c) || char.IsControl(c)) ? " with spaces or control characters" : "")}.",
                    $"at least {MinTokenLength} characters, no spaces",
                    "e.g. --token $(openssl rand -hex 16)");
            }

            // Always a token: on a shared machine another user could otherwise reach a loopback
            // console and pause production with this user's broker credentials.
            if (token is null)
            {
                token = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16));
                madeToken = true;
            }

            settings = new ConsoleSettings(listen!, port, token, statusTopic, controlTopic, TimeSpan.FromMinutes(minutes), TimeSpan.FromSeconds(timeout));
            broker = target is null
                ? new KafkaConsoleBroker(_environment, settings, servers!)
                : new NsqConsoleBroker(_environment, settings, target);
        }
        catch (InputException e)
        {
            error.WriteLine("error: " + e.Message);
            return ExitCodes.InvalidInput;
        }

        using var stop = _environment.ListenForStop();
        return RunAsync(settings, broker, madeToken, output, error, stop.Token).GetAwaiter().GetResult();
    }

    private async Task<int> RunAsync(ConsoleSettings settings, IConsoleBroker broker, bool madeToken, TextWriter output, TextWriter error, CancellationToken stop)
    {
        var state = new ConsoleState(_environment.Time, settings.Window);
        ConsoleServer server;
        try
        {
            server = await ConsoleServer.StartAsync(settings, broker, state, stop).ConfigureAwait(false);
        }
        catch (Exception e) when (e is IOException or System.Net.Sockets.SocketException)
        {
            error.WriteLine($"error: cannot serve on {settings.Listen}:{settings.Port}: {e.Message}");
            error.WriteLine($"  fix:  give another --port (0 takes any free one; below 1024 needs privileges), an address of this machine to --listen, or stop what uses the port.");
            return ExitCodes.UnexpectedFailure;
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested)
        {
            error.WriteLine("Stopped.");
            return ExitCodes.Success;
        }

        await using (server.ConfigureAwait(false))
        {
            // A token the user chose is theirs to type; only a made one is printed, in the address.
            output.WriteLine($"tmqtool console: {(madeToken ? server.OpenAddress : server.Address + "?token=<your token>")}");
            output.Flush();
            error.WriteLine($"Reading {settings.StatusTopic} on {broker.Describe}; Ctrl+C stops.");
            if (!IPAddress.IsLoopback(settings.Listen))
            {
                error.WriteLine($"note: --listen {settings.Listen} serves other machines over plain HTTP, the token included; to reach a console from another machine, prefer an SSH tunnel to one on 127.0.0.1 (ssh -L {settings.Port}:127.0.0.1:{settings.Port} host).");
            }

            var following = broker.FollowAsync(state, stop);
            try
            {
                using var ticks = new PeriodicTimer(settings.Refresh, _environment.Time);
                state.Sample();
                while (await ticks.WaitForNextTickAsync(stop).ConfigureAwait(false))
                {
                    state.Sample();
                    if (following.IsFaulted)
                    {
                        // A failure the feed did not expect: shown on the page, and the feed starts over.
                        state.BrokerError($"reading {settings.StatusTopic} failed: {following.Exception!.GetBaseException().Message}; starting again.");
                        following = broker.FollowAsync(state, stop);
                    }
                }
            }
            catch (OperationCanceledException) when (stop.IsCancellationRequested)
            {
                // Ctrl+C.
            }

            try
            {
                await following.ConfigureAwait(false);
            }
            catch (Exception) when (stop.IsCancellationRequested)
            {
                // Stopped while it waited, or it failed as it stopped: the console is stopping either way.
            }
        }

        error.WriteLine("Stopped.");
        return ExitCodes.Success;
    }
}
