using System.CommandLine;
using System.Text.Json.Nodes;
using Tmqtool.Helper;
using Tmqtool.Nsq;
using Tmqtool.Validation;

namespace Tmqtool.Commands;

/// <summary><c>tmqtool produce</c>: sends messages to a Kafka or NSQ topic and prints each one the broker acknowledged.</summary>
internal sealed class ProduceCommand
{
    internal const string Examples = """
          tmqtool produce --bootstrap-servers 127.0.0.1:9092 --topic orders --key order-1 --value '{"id":1}'
          tmqtool produce --bootstrap-servers 127.0.0.1:9092 --topic orders --key 'order-{n}' --value '{"id":{n}}' --count 100
          tmqtool produce --bootstrap-servers 127.0.0.1:9092 --topic orders --key k7 --value 'm-{n}' --count 10000 --quiet
          tmqtool produce --bootstrap-servers 127.0.0.1:9092 --topic orders --value hello --header trace=abc --header source=cli
          tmqtool produce --nsqd 127.0.0.1:4150 --topic orders --value '{"id":1}'
          tmqtool produce --lookupd http://127.0.0.1:4161 --topic orders --key order-1 --value '{"id":1}'
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
        Description = "The message key, UTF-8. Kafka: picks the partition (same key, same order). NSQ: carried in a TMQ envelope, which Tmq consumers order by. Default: no key.",
        HelpName = "key",
    };

    private readonly Option<string> _value = new("--value")
    {
        Description = "The message value, UTF-8. Required (may be empty).",
        HelpName = "value",
    };

    private readonly Option<string[]> _headers = new("--header")
    {
        Description = "A header, name=value (UTF-8). Repeat for more. NSQ: carried in a TMQ envelope; without --key and --header the value is sent as it is.",
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

    private readonly BrokerVerb _broker;

    private ProduceCommand(CliEnvironment environment)
    {
        _environment = environment;
        _broker = new BrokerVerb(_bootstrapServers);
    }

    internal static Command Create(CliEnvironment environment)
    {
        var verb = new ProduceCommand(environment);
        var command = new Command("produce", "Send messages to a Kafka or NSQ topic and wait until the broker acknowledges them.")
        {
            verb._bootstrapServers, verb._broker.Nsqd, verb._broker.Lookupd, verb._topic, verb._key, verb._value, verb._headers, verb._count, verb._quiet, verb._timeout,
        };
        command.SetAction(verb.Execute);
        return command;
    }

    private int Execute(ParseResult parse) => _broker.Run(_environment, parse, CreateRequest, CreateNsqRun);

    private HelperRequest CreateRequest(ParseResult parse)
    {
        var servers = BootstrapServers.Validate(parse.GetValue(_bootstrapServers));
        var topic = KafkaNames.ValidateAnyTopic("--topic", parse.GetValue(_topic), "orders");
        var (value, headers, count, timeout) = ValidateMessage(parse);
        return new HelperRequest("produce", new JsonObject
        {
            ["bootstrapServers"] = servers,
            ["topic"] = topic,
            ["key"] = parse.GetValue(_key),
            ["value"] = value,
            ["headers"] = new JsonArray([.. headers.Select(static h => new JsonObject { ["name"] = h.Key, ["value"] = h.Value })]),
            ["count"] = count,
            ["quiet"] = parse.GetValue(_quiet),
            ["timeoutSeconds"] = timeout,
        });
    }

    private Func<TextWriter, TextWriter, CancellationToken, Task<int>> CreateNsqRun(ParseResult parse, NsqTarget target)
    {
        var topic = NsqNames.ValidateAnyTopic("--topic", parse.GetValue(_topic), "orders");
        var (value, headers, count, timeout) = ValidateMessage(parse);
        if (value.Length == 0 && parse.GetValue(_key) is null && headers.Count == 0)
        {
            throw new InputException("--value '' is empty.", "nsqd refuses an empty message (E_BAD_MESSAGE)", "give a value, or a --key or --header (the message is then a TMQ envelope, never empty)");
        }

        var request = new NsqProduceRequest(target, topic, parse.GetValue(_key), value, headers, count, parse.GetValue(_quiet), TimeSpan.FromSeconds(timeout));
        return (output, error, stop) => NsqProduce.RunAsync(request, output, error, stop);
    }

    private (string Value, List<KeyValuePair<string, string>> Headers, int Count, int Timeout) ValidateMessage(ParseResult parse)
    {
        var value = parse.GetValue(_value)
            ?? throw InputException.Missing("--value", "the message's value as text; it may be empty (--value '')", "e.g. --value '{\"id\":1}'");
        var headers = new List<KeyValuePair<string, string>>();
        foreach (var header in parse.GetValue(_headers) ?? [])
        {
            var equals = header.IndexOf('=', StringComparison.Ordinal);
            var name = equals < 0 ? "" : header[..equals];
            if (name.Length == 0 || name.Any(char.IsControl))
            {
                throw InputException.Invalid("--header", header, "header", "name=value, with a name that is not empty and has no control characters", "e.g. --header source=cli");
            }

            headers.Add(new(name, header[(equals + 1)..]));
        }

        var count = parse.GetValue(_count);
        InputException.CheckRange("--count", count, 1, MaxCount, "e.g. --count 10");
        var timeout = parse.GetValue(_timeout);
        InputException.CheckRange("--timeout", timeout, 1, MaxTimeoutSeconds, "e.g. --timeout 30");
        return (value, headers, count, timeout);
    }
}
