using System.CommandLine;
using System.Text.Json.Nodes;
using Tmqtool.Helper;
using Tmqtool.Validation;

namespace Tmqtool.Commands;

/// <summary><c>tmqtool lag</c>: a consumer group's committed offsets and lag per partition of a Kafka topic.</summary>
/// <remarks>Reads the offsets without joining the group, so it never triggers a rebalance.</remarks>
internal sealed class LagCommand
{
    internal const string Examples = """
          tmqtool lag --bootstrap-servers 127.0.0.1:9092 --topic orders --group shop.orders.consumer
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
        Description = "The consumer group (a generated service's group is its PSM unless set). Required.",
        HelpName = "group",
    };

    private readonly Option<int> _timeout = new("--timeout")
    {
        Description = $"Seconds to wait for the broker's answers, 1 to {MaxTimeoutSeconds}.",
        DefaultValueFactory = _ => 10,
        HelpName = "seconds",
    };

    private readonly CliEnvironment _environment;

    private LagCommand(CliEnvironment environment) => _environment = environment;

    internal static Command Create(CliEnvironment environment)
    {
        var verb = new LagCommand(environment);
        var command = new Command("lag", "Show a consumer group's committed offset, the end offset and the lag of every partition of a Kafka topic. Does not join the group.")
        {
            verb._bootstrapServers, verb._topic, verb._group, verb._timeout,
        };
        command.SetAction(verb.Execute);
        return command;
    }

    private int Execute(ParseResult parse) => HelperVerb.Run(_environment, parse, CreateRequest);

    private HelperRequest CreateRequest(ParseResult parse)
    {
        var servers = BootstrapServers.Validate(parse.GetValue(_bootstrapServers));
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
