using System.CommandLine;
using System.Text.Json.Nodes;
using Tmqtool.Helper;
using Tmqtool.Validation;

namespace Tmqtool.Commands;

/// <summary><c>tmqtool produce</c>: sends messages to a Kafka topic and prints where each landed.</summary>
internal sealed class ProduceCommand
{
    internal const string Examples = """
          tmqtool produce --bootstrap-servers 127.0.0.1:9092 --topic orders --key order-1 --value '{"id":1}'
          tmqtool produce --bootstrap-servers 127.0.0.1:9092 --topic orders --key 'order-{n}' --value '{"id":{n}}' --count 100
          tmqtool produce --bootstrap-servers 127.0.0.1:9092 --topic orders --key k7 --value 'm-{n}' --count 10000 --quiet
          tmqtool produce --bootstrap-servers 127.0.0.1:9092 --topic orders --value hello --header trace=abc --header source=cli
        """;

    internal const int MaxCount = 1_000_000;
    internal const int MaxTimeoutSeconds = 3600;

    private readonly Option<string> _bootstrapServers = BootstrapServers.CreateOption();

    private readonly Option<string> _topic = new("--topic")
    {
        Description = "The topic to send to. Required.",
        HelpName = "topic",
    };

    private readonly Option<string> _key = new("--key")
    {
        Description = "The message key, UTF-8 (picks the partition; same key, same order). Default: no key.",
        HelpName = "key",
    };

    private readonly Option<string> _value = new("--value")
    {
        Description = "The message value, UTF-8. Required (may be empty).",
        HelpName = "value",
    };

    private readonly Option<string[]> _headers = new("--header")
    {
        Description = "A header, name=value (UTF-8). Repeat for more.",
        HelpName = "name=value",
        Arity = ArgumentArity.ZeroOrMore,
    };

    private readonly Option<int> _count = new("--count")
    {
        Description = $"Send the message this many times, 1 to {MaxCount}; '{{n}}' in the key, value or a header value becomes the message number (1, 2, ...). Sends are pipelined, in order per partition.",
        DefaultValueFactory = _ => 1,
        HelpName = "n",
    };

    private readonly Option<bool> _quiet = new("--quiet", "-q")
    {
        Description = "Print one summary line at the end instead of a line per message.",
    };

    private readonly Option<int> _timeout = new("--timeout")
    {
        Description = $"Seconds to wait for the broker to acknowledge each message, 1 to {MaxTimeoutSeconds}.",
        DefaultValueFactory = _ => 30,
        HelpName = "seconds",
    };

    private readonly CliEnvironment _environment;

    private ProduceCommand(CliEnvironment environment) => _environment = environment;

    internal static Command Create(CliEnvironment environment)
    {
        var verb = new ProduceCommand(environment);
        var command = new Command("produce", "Send messages to a Kafka topic and wait until the broker acknowledges them.")
        {
            verb._bootstrapServers, verb._topic, verb._key, verb._value, verb._headers, verb._count, verb._quiet, verb._timeout,
        };
        command.SetAction(verb.Execute);
        return command;
    }

    private int Execute(ParseResult parse) => HelperVerb.Run(_environment, parse, CreateRequest);

    private HelperRequest CreateRequest(ParseResult parse)
    {
        var servers = BootstrapServers.Validate(parse.GetValue(_bootstrapServers));
        var topic = KafkaNames.ValidateAnyTopic("--topic", parse.GetValue(_topic), "orders");
        var value = parse.GetValue(_value)
            ?? throw InputException.Missing("--value", "the message's value as text; it may be empty (--value '')", "e.g. --value '{\"id\":1}'");
        var headers = new JsonArray();
        foreach (var header in parse.GetValue(_headers) ?? [])
        {
            var equals = header.IndexOf('=', StringComparison.Ordinal);
            var name = equals < 0 ? "" : header[..equals];
            if (name.Length == 0 || name.Any(char.IsControl))
            {
                throw InputException.Invalid("--header", header, "header", "name=value, with a name that is not empty and has no control characters", "e.g. --header source=cli");
            }

            headers.Add(new JsonObject { ["name"] = name, ["value"] = header[(equals + 1)..] });
        }

        var count = parse.GetValue(_count);
        InputException.CheckRange("--count", count, 1, MaxCount, "e.g. --count 10");
        var timeout = parse.GetValue(_timeout);
        InputException.CheckRange("--timeout", timeout, 1, MaxTimeoutSeconds, "e.g. --timeout 30");
        return new HelperRequest("produce", new JsonObject
        {
            ["bootstrapServers"] = servers,
            ["topic"] = topic,
            ["key"] = parse.GetValue(_key),
            ["value"] = value,
            ["headers"] = headers,
            ["count"] = count,
            ["quiet"] = parse.GetValue(_quiet),
            ["timeoutSeconds"] = timeout,
        });
    }
}
