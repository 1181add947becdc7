using System.CommandLine;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Tmq.Control;
using Tmqtool.Helper;
using Tmqtool.Nsq;
using Tmqtool.Validation;

namespace Tmqtool.Commands;

/// <summary>
/// <c>tmqtool pause</c>, <c>resume</c> and <c>set</c>: live settings for every running instance of a
/// service (or one of its consumers), sent as a control message (<see cref="ControlMessage"/>) on
/// the control topic that services with <c>AddTmqKafkaControl</c> / <c>AddTmqNsqControl</c> read.
/// </summary>
/// <remarks>
/// Kafka: the control topic is compacted (created so when missing), and each message is the whole
/// state of its address: the tool reads the latest one, changes it and writes it back, so a
/// restarted instance reads what it should run with. NSQ keeps nothing for later: the message is a
/// merge, published to every nsqd, and applies to the instances running then.
/// </remarks>
internal sealed partial class ControlCommand
{
    internal const string DefaultTopic = "tmq.control";
    internal const string ConsumerRule = "a consumer's name as registered (AddTmqKafkaConsumer(\"main\")): 1 to 100 letters, digits, '.', '_' or '-'";

    internal const string PauseExamples = """
          tmqtool pause --service shop.orders.consumer --bootstrap-servers 127.0.0.1:9092
          tmqtool pause --service shop.orders.consumer --consumer main --lookupd http://127.0.0.1:4161
        """;

    internal const string ResumeExamples = """
          tmqtool resume --service shop.orders.consumer --bootstrap-servers 127.0.0.1:9092
          tmqtool resume --service shop.orders.consumer --nsqd 127.0.0.1:4150
        """;

    internal const string SetExamples = """
          tmqtool set --service shop.orders.consumer --bootstrap-servers 127.0.0.1:9092 Concurrency=64 Retry:MaxAttempts=3
          tmqtool set --service shop.orders.consumer --consumer main --bootstrap-servers 127.0.0.1:9092 Concurrency=
          tmqtool set --service shop.orders.consumer --bootstrap-servers 127.0.0.1:9092 --clear
          tmqtool set --service shop.orders.consumer --nsqd 127.0.0.1:4150 Retry:OnExhausted=Stop
        """;

    private readonly Option<string> _bootstrapServers = BootstrapServers.CreateOption();

    private readonly Option<string> _service = new("--service")
    {
        Description = "The service (its PSM, Tmq:Service in its appsettings.json) whose instances are told. Required.",
        HelpName = "psm",
    };

    private readonly Option<string> _consumer = new("--consumer")
    {
        Description = "Only this consumer of the service (its name, \"main\" in a generated service). Default: every consumer of the service; a consumer's own settings take precedence over the service's.",
        HelpName = "name",
    };

    private readonly Option<string> _topic = new("--control-topic")
    {
        Description = $"The control topic the services read (their Tmq:Control:Topic). Default: {DefaultTopic}.",
        DefaultValueFactory = _ => DefaultTopic,
        HelpName = "topic",
    };

    private readonly Option<int> _timeout = BrokerTimeout.CreateOption();

    private readonly Option<bool> _clear = new("--clear")
    {
        Description = "set: drop every setting sent to this service (or --consumer) before; the instances go back to their appsettings.json.",
    };

    private readonly Argument<string[]> _settings = new("settings")
    {
        Description = $"set: NAME=VALUE for each live setting ({string.Join(", ", ControlSettings.Names)}); NAME= with no value drops a setting sent before.",
        Arity = ArgumentArity.ZeroOrMore,
    };

    private readonly CliEnvironment _environment;
    private readonly BrokerVerb _broker;
    private readonly string _verb;

    private ControlCommand(CliEnvironment environment, string verb)
    {
        _environment = environment;
        _verb = verb;
        _broker = new BrokerVerb(_bootstrapServers);
    }

    internal static Command CreatePause(CliEnvironment environment) =>
        new ControlCommand(environment, "pause").Build("Pause a service's consumers on every running instance (Paused=true): they stop fetching, finish what they hold, and /healthz says paused. Instances started later stay paused on Kafka.");

    internal static Command CreateResume(CliEnvironment environment) =>
        new ControlCommand(environment, "resume").Build("Resume a service's consumers on every running instance (Paused=false), also where appsettings.json says Paused.");

    internal static Command CreateSet(CliEnvironment environment) =>
        new ControlCommand(environment, "set").Build($"Set live settings ({string.Join(", ", ControlSettings.Names)}) on every running instance of a service; they take precedence over appsettings.json until dropped (NAME= or --clear).");

    private Command Build(string description)
    {
        var command = new Command(_verb, description) { _bootstrapServers, _broker.Nsqd, _broker.Lookupd, _service, _consumer, _topic, _timeout };
        if (_verb == "set")
        {
            command.Options.Add(_clear);
            command.Arguments.Add(_settings);
        }

        command.SetAction(parse => _broker.Run(_environment, parse, CreateRequest, CreateNsqRun));
        return command;
    }

    /// <summary>The change asked for: settings to set (value) or drop (null), or clear all.</summary>
    internal sealed record Change(string Service, string? Consumer, IReadOnlyDictionary<string, string?> Settings, bool Clear, TimeSpan Timeout)
    {
        /// <summary>What <c>pause</c> (or <c>resume</c>) asks: Paused=true (or false).</summary>
        internal static Change Pause(string service, string? consumer, bool paused, TimeSpan timeout) =>
            new(service, consumer, new Dictionary<string, string?>(StringComparer.Ordinal) { ["Paused"] = paused ? "true" : "false" }, Clear: false, timeout);

        internal string Describe() =>
            (Consumer is null ? $"{Service} (every consumer)" : $"{Service}, consumer {Consumer}") + ": " +
            (Clear ? "every setting dropped" : string.Join(", ", Settings.Select(static s => s.Value is null ? $"{s.Key} dropped" : $"{s.Key}={s.Value}")));
    }

    private Change ReadChange(ParseResult parse)
    {
        var service = Psm.Validate(parse.GetValue(_service), "--service");
        var consumer = parse.GetValue(_consumer) is { } c
            ? ConsumerName().IsMatch(c) ? c : throw InputException.Invalid("--consumer", c, "consumer name", ConsumerRule, "e.g. --consumer main, or leave it out for every consumer")
            : null;
        var timeout = BrokerTimeout.Read(parse, _timeout);
        var settings = new Dictionary<string, string?>(StringComparer.Ordinal);
        var clear = false;
        switch (_verb)
        {
            case "pause" or "resume":
                return Change.Pause(service, consumer, _verb == "pause", TimeSpan.FromSeconds(timeout));
            default:
                clear = parse.GetValue(_clear);
                foreach (var item in parse.GetValue(_settings) ?? [])
                {
                    var equals = item.IndexOf('=', StringComparison.Ordinal);
                    if (equals <= 0)
                    {
                        throw InputException.Invalid("setting", item, "setting", "NAME=VALUE, or NAME= to drop it", "e.g. Concurrency=64");
                    }

                    var name = ControlSettings.Canonical(item[..equals])
                        ?? throw InputException.Invalid("setting", item[..equals], "live setting", $"one of {string.Join(", ", ControlSettings.Names)} (the others need a restart: change them in appsettings.json)", "e.g. Concurrency=64");
                    if (!settings.TryAdd(name, equals == item.Length - 1 ? null : item[(equals + 1)..]))
                    {
                        throw new InputException($"{name} is given twice.", "each setting once", $"keep one {name}=...");
                    }
                }

                if (clear == (settings.Count > 0))
                {
                    throw new InputException(
                        clear ? "--clear comes with settings." : "no setting is given.",
                        "set takes NAME=VALUE settings, or --clear alone",
                        "e.g. tmqtool set --service shop.orders.consumer --bootstrap-servers 127.0.0.1:9092 Concurrency=64");
                }

                var problems = ControlSettings.Problems(settings.Where(static s => s.Value is not null).ToDictionary(static s => s.Key, static s => s.Value!));
                if (problems.Count > 0)
                {
                    throw new InputException(string.Join("; ", problems) + ".", "each value as the consumer's settings take it", "fix the value");
                }

                break;
        }

        return new Change(service, consumer, settings, clear, TimeSpan.FromSeconds(timeout));
    }

    private HelperRequest CreateRequest(ParseResult parse)
    {
        var servers = BootstrapServers.Validate(parse.GetValue(_bootstrapServers));
        var topic = KafkaNames.ValidateAnyTopic("--control-topic", parse.GetValue(_topic), DefaultTopic);
        return KafkaRequest(servers, topic, ReadChange(parse));
    }

    /// <summary>The helper's request that applies <paramref name="change"/> on the Kafka control topic (validated values only).</summary>
    internal static HelperRequest KafkaRequest(string servers, string topic, Change change)
    {
        var settings = new JsonObject();
        foreach (var (name, value) in change.Settings)
        {
            settings[name] = value;
        }

        return new HelperRequest("control", new JsonObject
        {
            ["bootstrapServers"] = servers,
            ["topic"] = topic,
            ["service"] = change.Service,
            ["consumer"] = change.Consumer,
            ["settings"] = settings,
            ["clear"] = change.Clear,
            ["sentBy"] = SentBy(),
            ["timeoutSeconds"] = (int)change.Timeout.TotalSeconds,
        });
    }

    private Func<TextWriter, TextWriter, CancellationToken, Task<int>> CreateNsqRun(ParseResult parse, NsqTarget target)
    {
        var topic = NsqNames.ValidateAnyTopic("--control-topic", parse.GetValue(_topic), DefaultTopic);
        var change = ReadChange(parse);
        return (output, error, stop) => NsqControl.RunAsync(target, topic, change, SentBy(), output, error, stop);
    }

    /// <summary>Whether <paramref name="name"/> can be a consumer's name (<see cref="ConsumerRule"/>).</summary>
    internal static bool IsConsumerName(string name) => ConsumerName().IsMatch(name);

    internal static string SentBy() => $"{Environment.UserName}@{Environment.MachineName}";

    [GeneratedRegex("^[A-Za-z0-9._-]{1,100}$")]
    private static partial Regex ConsumerName();
}
