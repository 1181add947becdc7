using System.CommandLine;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Tmqtool.Helper;
using Tmqtool.Nsq;
using Tmqtool.Validation;

namespace Tmqtool.Commands;

/// <summary>
/// <c>tmqtool trace TRACE_ID --topic T</c>: every message of one trace in a Kafka topic and its
/// dead-letter topic, in time order, found by the W3C <c>traceparent</c> header the producers and
/// the dead-letter writes carry: the first send, each dead letter, each replay. No tracing backend
/// is needed. On NSQ, which keeps no message once finished, the dead letters of the trace still
/// waiting in the dead-letter topic (<see cref="NsqTrace"/>).
/// </summary>
internal sealed partial class TraceCommand
{
    internal const string Examples = """
          tmqtool trace 4bf92f3577b34da6a3ce929d0e0e4736 --topic orders --bootstrap-servers 127.0.0.1:9092
          tmqtool trace 4bf92f3577b34da6a3ce929d0e0e4736 --topic orders --dlq-topic orders.failed --since 86400 --bootstrap-servers 127.0.0.1:9092
          tmqtool trace 4bf92f3577b34da6a3ce929d0e0e4736 --topic orders --lookupd http://127.0.0.1:4161
        """;

    internal const string TraceIdRule = "a W3C trace id: 32 lowercase hexadecimal digits, not all zero (the second field of a traceparent, and the TraceId of a log line)";

    private readonly Argument<string> _traceId = new("trace-id")
    {
        Description = "The trace id to look for (32 hex digits; the TraceId of a log line or span).",
    };

    private readonly Option<string> _bootstrapServers = BootstrapServers.CreateOption();

    private readonly Option<string> _topic = new("--topic")
    {
        Description = "The topic the message was sent to. Required.",
        HelpName = "topic",
    };

    private readonly Option<string> _dlqTopic = new("--dlq-topic")
    {
        Description = "Its dead-letter topic. Default: the topic plus .dlq, as a consumer's default.",
        HelpName = "topic",
    };

    private readonly Option<int> _since = new("--since")
    {
        Description = "Kafka: read the messages of the last this many seconds of each topic, 10 to 2592000.",
        DefaultValueFactory = _ => 3600,
        HelpName = "seconds",
    };

    private readonly Option<int> _timeout = BrokerTimeout.CreateOption();

    private readonly CliEnvironment _environment;
    private readonly BrokerVerb _broker;

    private TraceCommand(CliEnvironment environment)
    {
        _environment = environment;
        _broker = new BrokerVerb(_bootstrapServers);
    }

    internal static Command Create(CliEnvironment environment)
    {
        var verb = new TraceCommand(environment);
        var command = new Command("trace", "Find every message of one trace in a Kafka topic and its dead-letter topic (the send, each dead letter, each replay) by their traceparent headers, in time order, without a tracing backend; on NSQ, which keeps no finished message, the dead letters of the trace waiting in the dead-letter topic.")
        {
            verb._traceId, verb._bootstrapServers, verb._broker.Nsqd, verb._broker.Lookupd, verb._topic, verb._dlqTopic, verb._since, verb._timeout,
        };
        command.SetAction(parse => verb._broker.Run(verb._environment, parse, verb.CreateRequest, verb.CreateNsqRun));
        return command;
    }

    private HelperRequest CreateRequest(ParseResult parse)
    {
        var servers = BootstrapServers.Validate(parse.GetValue(_bootstrapServers));
        var traceId = ValidateTraceId(parse);
        var topic = KafkaNames.ValidateAnyTopic("--topic", parse.GetValue(_topic), "orders");
        var dlq = KafkaNames.ValidateAnyTopic("--dlq-topic", parse.GetValue(_dlqTopic) ?? topic + ".dlq", "orders.dlq");
        var since = parse.GetValue(_since);
        InputException.CheckRange("--since", since, 10, 2_592_000, "e.g. --since 3600");
        var timeout = BrokerTimeout.Read(parse, _timeout);
        return new HelperRequest("trace", new JsonObject
        {
            ["bootstrapServers"] = servers,
            ["traceId"] = traceId,
            ["topics"] = new JsonArray(topic, dlq),
            ["sinceSeconds"] = since,
            ["timeoutSeconds"] = timeout,
        });
    }

    private Func<TextWriter, TextWriter, CancellationToken, Task<int>> CreateNsqRun(ParseResult parse, NsqTarget target)
    {
        BrokerVerb.RefuseOnNsq(parse, _since, "NSQ keeps no message once a consumer finished it: trace looks at the dead letters waiting in the dead-letter topic instead");
        var traceId = ValidateTraceId(parse);
        var topic = NsqNames.ValidateAnyTopic("--topic", parse.GetValue(_topic), "orders");
        var dlq = NsqNames.ValidateAnyTopic("--dlq-topic", parse.GetValue(_dlqTopic) ?? topic + ".dlq", "orders.dlq");
        var timeout = BrokerTimeout.Read(parse, _timeout);
        var request = new NsqTraceRequest(target, traceId, topic, dlq, TimeSpan.FromSeconds(timeout), _environment.Time);
        return (output, error, stop) => NsqTrace.RunAsync(request, output, error, stop);
    }

    private string ValidateTraceId(ParseResult parse) =>
        parse.GetValue(_traceId) is { } id && TraceId().IsMatch(id) && id != new string('0', 32)
            ? id
            : throw InputException.Invalid("trace-id", parse.GetValue(_traceId) ?? string.Empty, "trace id", TraceIdRule, "e.g. tmqtool trace 4bf92f3577b34da6a3ce929d0e0e4736 --topic orders ...");

    [GeneratedRegex("^[0-9a-f]{32}$")]
    private static partial Regex TraceId();
}
