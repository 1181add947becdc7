using System.CommandLine;
using System.Text.Json.Nodes;
using Tmqtool.Helper;
using Tmqtool.Validation;

namespace Tmqtool.Commands;

/// <summary><c>tmqtool tail</c> (alias <c>consume</c>): prints the messages of a Kafka topic with their headers.</summary>
/// <remarks>Reads as a throw-away consumer group and commits nothing, so it never moves a service's offsets.</remarks>
internal sealed class TailCommand
{
    internal const string Examples = """
          tmqtool tail --bootstrap-servers 127.0.0.1:9092 --topic orders
          tmqtool tail --bootstrap-servers 127.0.0.1:9092 --topic orders.dlq --from-beginning --count 1 --timeout 30
        """;

    internal const int MaxCount = 1_000_000;
    internal const int MaxTimeoutSeconds = 86_400;

    private readonly Option<string> _bootstrapServers = BootstrapServers.CreateOption();

    private readonly Option<string> _topic = new("--topic")
    {
        Description = "The topic to read. Required.",
        HelpName = "topic",
    };

    private readonly Option<bool> _fromBeginning = new("--from-beginning")
    {
        Description = "Start at the oldest message of each partition instead of waiting for new ones.",
    };

    private readonly Option<int> _count = new("--count")
    {
        Description = $"Stop after this many messages, 1 to {MaxCount}. Default: run until Ctrl+C.",
        HelpName = "n",
    };

    private readonly Option<int> _timeout = new("--timeout")
    {
        Description = "Stop after this many seconds. With --count, receiving fewer messages by then is an error (exit code 1). Default: no limit.",
        HelpName = "seconds",
    };

    private readonly CliEnvironment _environment;

    private TailCommand(CliEnvironment environment) => _environment = environment;

    internal static Command Create(CliEnvironment environment)
    {
        var verb = new TailCommand(environment);
        var command = new Command("tail", "Print the messages of a Kafka topic (position, key, headers, value) as they arrive. Commits nothing.")
        {
            verb._bootstrapServers, verb._topic, verb._fromBeginning, verb._count, verb._timeout,
        };
        command.Aliases.Add("consume");
        command.SetAction(verb.Execute);
        return command;
    }

    private int Execute(ParseResult parse) => HelperVerb.Run(_environment, parse, CreateRequest);

    private HelperRequest CreateRequest(ParseResult parse)
    {
        var servers = BootstrapServers.Validate(parse.GetValue(_bootstrapServers));
        var topic = KafkaNames.ValidateAnyTopic("--topic", parse.GetValue(_topic), "orders.dlq");
        var count = 0;
        if (parse.GetResult(_count) is { Implicit: false })
        {
            count = parse.GetValue(_count);
            InputException.CheckRange("--count", count, 1, MaxCount, "e.g. --count 1, or leave it out to read until Ctrl+C");
        }

        var timeout = 0;
        if (parse.GetResult(_timeout) is { Implicit: false })
        {
            timeout = parse.GetValue(_timeout);
            InputException.CheckRange("--timeout", timeout, 1, MaxTimeoutSeconds, "e.g. --timeout 30, or leave it out to wait without a limit");
        }

        return new HelperRequest("tail", new JsonObject
        {
            ["bootstrapServers"] = servers,
            ["topic"] = topic,
            ["fromBeginning"] = parse.GetValue(_fromBeginning),
            ["count"] = count,
            ["timeoutSeconds"] = timeout,
        });
    }
}
