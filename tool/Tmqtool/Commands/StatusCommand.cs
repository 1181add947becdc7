using System.CommandLine;
using System.Text.Json.Nodes;
using Tmqtool.Helper;
using Tmqtool.Nsq;
using Tmqtool.Validation;

namespace Tmqtool.Commands;

/// <summary>
/// <c>tmqtool status</c>: every instance that reported to the status topic, per service, with its
/// consumers: live, stopped, or gone (no report for three of its intervals).
/// </summary>
/// <remarks>
/// Kafka keeps the reports: the tool reads the last <c>--since</c> seconds of the topic and keeps
/// each instance's latest. NSQ keeps none: the tool listens for <c>--wait</c> seconds on an
/// ephemeral channel of every nsqd, so it lists the instances that report meanwhile.
/// </remarks>
internal sealed class StatusCommand
{
    internal const string DefaultTopic = "tmq.status";
    internal const string DefaultNsqTopic = Tmq.Nsq.NsqControlOptions.DefaultStatusTopic;

    internal const string Examples = """
          tmqtool status --bootstrap-servers 127.0.0.1:9092
          tmqtool status --bootstrap-servers 127.0.0.1:9092 --service shop.orders.consumer --since 3600
          tmqtool status --lookupd http://127.0.0.1:4161 --service shop.orders.consumer
        """;

    private readonly Option<string> _bootstrapServers = BootstrapServers.CreateOption();

    private readonly Option<string> _service = new("--service")
    {
        Description = "Only this service (its PSM). Default: every service that reports.",
        HelpName = "psm",
    };

    private readonly Option<string> _topic = new("--status-topic")
    {
        Description = $"The status topic the services report to (their Tmq:Control:StatusTopic). Default: {DefaultTopic} on Kafka, {DefaultNsqTopic} on NSQ (nsqd keeps no reports nobody reads).",
        HelpName = "topic",
    };

    private readonly Option<int> _since = new("--since")
    {
        Description = "Kafka: read the reports of the last this many seconds, 10 to 604800 (instances gone before that are not listed).",
        DefaultValueFactory = _ => 300,
        HelpName = "seconds",
    };

    private readonly Option<int> _wait = new("--wait")
    {
        Description = "NSQ: listen this many seconds for reports, 1 to 600; more than two of the services' Tmq:Control:StatusInterval (5 s) hears every live instance.",
        DefaultValueFactory = _ => 12,
        HelpName = "seconds",
    };

    private readonly Option<int> _timeout = BrokerTimeout.CreateOption();

    private readonly CliEnvironment _environment;
    private readonly BrokerVerb _broker;

    private StatusCommand(CliEnvironment environment)
    {
        _environment = environment;
        _broker = new BrokerVerb(_bootstrapServers);
    }

    internal static Command Create(CliEnvironment environment)
    {
        var verb = new StatusCommand(environment);
        var command = new Command("status", "List every running instance of every service (or one) from the status topic they report to: consumers, assignment, lag or depth, outcomes, control settings, owner; instances that stopped reporting are shown as gone.")
        {
            verb._bootstrapServers, verb._broker.Nsqd, verb._broker.Lookupd, verb._service, verb._topic, verb._since, verb._wait, verb._timeout,
        };
        command.SetAction(parse => verb._broker.Run(verb._environment, parse, verb.CreateRequest, verb.CreateNsqRun));
        return command;
    }

    private (string? Service, int Timeout) Common(ParseResult parse)
    {
        var service = parse.GetValue(_service) is { } s ? Psm.Validate(s, "--service") : null;
        return (service, BrokerTimeout.Read(parse, _timeout));
    }

    private HelperRequest CreateRequest(ParseResult parse)
    {
        var servers = BootstrapServers.Validate(parse.GetValue(_bootstrapServers));
        BrokerVerb.RefuseOnKafka(parse, _wait);
        var topic = KafkaNames.ValidateAnyTopic("--status-topic", parse.GetValue(_topic) ?? DefaultTopic, DefaultTopic);
        var (service, timeout) = Common(parse);
        var since = parse.GetValue(_since);
        InputException.CheckRange("--since", since, 10, 604_800, "e.g. --since 300");
        return new HelperRequest("status", new JsonObject
        {
            ["bootstrapServers"] = servers,
            ["topic"] = topic,
            ["service"] = service,
            ["sinceSeconds"] = since,
            ["timeoutSeconds"] = timeout,
        });
    }

    private Func<TextWriter, TextWriter, CancellationToken, Task<int>> CreateNsqRun(ParseResult parse, NsqTarget target)
    {
        BrokerVerb.RefuseOnNsq(parse, _since, "NSQ keeps no reports to read back: the tool listens for --wait seconds instead");
        var topic = NsqNames.ValidateAnyTopic("--status-topic", parse.GetValue(_topic) ?? DefaultNsqTopic, DefaultNsqTopic);
        var (service, timeout) = Common(parse);
        var wait = parse.GetValue(_wait);
        InputException.CheckRange("--wait", wait, 1, 600, "e.g. --wait 12");
        return (output, error, stop) => NsqStatus.RunAsync(target, topic, service, TimeSpan.FromSeconds(wait), TimeSpan.FromSeconds(timeout), output, error, stop);
    }
}
