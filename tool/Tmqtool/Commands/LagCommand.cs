using System.CommandLine;
using System.Text.Json.Nodes;
using Tmqtool.Helper;
using Tmqtool.Nsq;
using Tmqtool.Validation;

namespace Tmqtool.Commands;

/// <summary>
/// <c>tmqtool lag</c>: a consumer group's committed offsets and lag per partition of a Kafka topic,
/// or each channel's depth and in-flight count on every nsqd of an NSQ topic (<see cref="NsqLag"/>).
/// </summary>
/// <remarks>Reads only: it never joins the group (no rebalance) or subscribes a channel.</remarks>
internal sealed class LagCommand
{
    internal const string Examples = """
          tmqtool lag --bootstrap-servers 127.0.0.1:9092 --topic orders --group shop.orders.consumer
          tmqtool lag --nsqd 127.0.0.1:4150 --topic orders
          tmqtool lag --nsqd http://127.0.0.1:4151 --topic orders
          tmqtool lag --lookupd http://127.0.0.1:4161 --topic orders --channel shop.orders.consumer
        """;

    internal const int MaxTimeoutSeconds = 3600;

    private readonly Option<string> _bootstrapServers = BootstrapServers.CreateOption();

    private readonly Option<string> _topic = new("--topic")
    {
        Description = "The topic the group consumes. Required.",
        HelpName = "topic",
    };

    private readonly Option<string> _group = new("--group")
    {
        Description = "Kafka: the consumer group (a generated service's group is its PSM unless set). Required.",
        HelpName = "group",
    };

    private readonly Option<string> _channel = new("--channel")
    {
        Description = "NSQ: show this channel only (a generated service's channel is its PSM unless set). Default: every channel of the topic. Lag reads nsqd's HTTP API: give --nsqd http://host:4151, or --nsqd host:port for the HTTP API on the next port (4151 for 4150).",
        HelpName = "channel",
    };

    private readonly Option<int> _timeout = new("--timeout")
    {
        Description = $"Seconds to wait for the broker's answers, 1 to {MaxTimeoutSeconds}.",
        DefaultValueFactory = _ => 10,
        HelpName = "seconds",
    };

    private readonly CliEnvironment _environment;

    private readonly BrokerVerb _broker;

    private LagCommand(CliEnvironment environment)
    {
        _environment = environment;
        _broker = new BrokerVerb(_bootstrapServers);
    }

    internal static Command Create(CliEnvironment environment)
    {
        var verb = new LagCommand(environment);
        var command = new Command("lag", "Show a consumer group's committed offset, end offset and lag for every partition of a Kafka topic, or every channel's depth, in-flight, deferred, requeued and timed-out counts on each nsqd of an NSQ topic. Joins nothing.")
        {
            verb._bootstrapServers, verb._broker.Nsqd, verb._broker.Lookupd, verb._topic, verb._group, verb._channel, verb._timeout,
        };
        command.SetAction(verb.Execute);
        return command;
    }

    private int Execute(ParseResult parse) => _broker.Run(_environment, parse, CreateRequest, CreateNsqRun, httpAllowed: true);

    private Func<TextWriter, TextWriter, CancellationToken, Task<int>> CreateNsqRun(ParseResult parse, NsqTarget target)
    {
        BrokerVerb.RefuseOnNsq(parse, _group, "an NSQ topic has channels, not consumer groups: give --channel, or leave it out for every channel");
        var topic = NsqNames.ValidateAnyTopic("--topic", parse.GetValue(_topic), "orders");
        var channel = parse.GetValue(_channel) is { } c ? NsqNames.ValidateChannel(c, "e.g. --channel shop.orders.consumer, or leave it out for every channel") : null;
        var timeout = parse.GetValue(_timeout);
        InputException.CheckRange("--timeout", timeout, 1, MaxTimeoutSeconds, "e.g. --timeout 10");
        var request = new NsqLagRequest(target, topic, channel, TimeSpan.FromSeconds(timeout));
        return (output, error, stop) => NsqLag.RunAsync(request, output, error, stop);
    }

    private HelperRequest CreateRequest(ParseResult parse)
    {
        var servers = BootstrapServers.Validate(parse.GetValue(_bootstrapServers));
        BrokerVerb.RefuseOnKafka(parse, _channel);
        var topic = KafkaNames.ValidateAnyTopic("--topic", parse.GetValue(_topic), "orders");
        var group = parse.GetValue(_group) is { Length: > 0 } g
            ? KafkaNames.ValidateGroup(g, "e.g. --group shop.orders.consumer (a generated service's group is its PSM unless set)")
            : throw InputException.Missing("--group", KafkaNames.GroupRule, "e.g. --group shop.orders.consumer");
        var timeout = parse.GetValue(_timeout);
        InputException.CheckRange("--timeout", timeout, 1, MaxTimeoutSeconds, "e.g. --timeout 10");
        return new HelperRequest("lag", new JsonObject
        {
            ["bootstrapServers"] = servers,
            ["topic"] = topic,
            ["group"] = group,
            ["timeoutSeconds"] = timeout,
        });
    }
}
