using System.CommandLine;
using System.Text.Json.Nodes;
using Tmqtool.Helper;
using Tmqtool.Nsq;
using Tmqtool.Validation;

namespace Tmqtool.Commands;

/// <summary><c>tmqtool tail</c> (alias <c>consume</c>): prints the messages of a Kafka or NSQ topic with their headers.</summary>
/// <remarks>
/// Kafka: reads as a throw-away consumer group and commits nothing, so it never moves a service's
/// offsets. NSQ: reads through an ephemeral channel of its own, or looks at an existing channel's
/// messages without taking them (<see cref="NsqTail"/>).
/// </remarks>
internal sealed class TailCommand
{
    internal const string Examples = """
          tmqtool tail --bootstrap-servers 127.0.0.1:9092 --topic orders
          tmqtool tail --bootstrap-servers 127.0.0.1:9092 --topic orders.dlq --from-beginning --count 1 --timeout 30
          tmqtool tail --nsqd 127.0.0.1:4150 --topic orders
          tmqtool tail --nsqd 127.0.0.1:4150 --topic orders.dlq --channel tmqtool-replay --count 1 --timeout 30
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
        Description = "Kafka: start at the oldest message of each partition instead of waiting for new ones. (NSQ keeps no history: see --channel.)",
    };

    private readonly Option<string> _channel = new("--channel")
    {
        Description = $"NSQ: show the messages waiting in this existing channel and leave them there (held while tail runs, put back when it stops: at the channel's end, each with one more delivery attempt counted), e.g. {NsqReplay.DefaultChannel}, where dead letters wait for `dlq replay`. Default: a new ephemeral channel that shows new messages only.",
        HelpName = "channel",
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

    private readonly BrokerVerb _broker;

    private TailCommand(CliEnvironment environment)
    {
        _environment = environment;
        _broker = new BrokerVerb(_bootstrapServers);
    }

    internal static Command Create(CliEnvironment environment)
    {
        var verb = new TailCommand(environment);
        var command = new Command("tail", "Print the messages of a Kafka or NSQ topic (position, key, headers, value) as they arrive. Takes nothing from the topic's consumers.")
        {
            verb._bootstrapServers, verb._broker.Nsqd, verb._broker.Lookupd, verb._topic, verb._fromBeginning, verb._channel, verb._count, verb._timeout,
        };
        command.Aliases.Add("consume");
        command.SetAction(verb.Execute);
        return command;
    }

    private int Execute(ParseResult parse) => _broker.Run(_environment, parse, CreateRequest, CreateNsqRun);

    private HelperRequest CreateRequest(ParseResult parse)
    {
        var servers = BootstrapServers.Validate(parse.GetValue(_bootstrapServers));
        BrokerVerb.RefuseOnKafka(parse, _channel);
        var topic = KafkaNames.ValidateAnyTopic("--topic", parse.GetValue(_topic), "orders.dlq");
        var (count, timeout) = ValidateLimits(parse);
        return new HelperRequest("tail", new JsonObject
        {
            ["bootstrapServers"] = servers,
            ["topic"] = topic,
            ["fromBeginning"] = parse.GetValue(_fromBeginning),
            ["count"] = count,
            ["timeoutSeconds"] = timeout,
        });
    }

    private Func<TextWriter, TextWriter, CancellationToken, Task<int>> CreateNsqRun(ParseResult parse, NsqTarget target)
    {
        BrokerVerb.RefuseOnNsq(parse, _fromBeginning, $"NSQ keeps no history to start from: a channel holds what was published since it was made; --channel shows what an existing channel holds (e.g. --channel {NsqReplay.DefaultChannel} on a .dlq topic)");
        var topic = NsqNames.ValidateAnyTopic("--topic", parse.GetValue(_topic), "orders.dlq");
        var channel = parse.GetValue(_channel) is { } c ? NsqNames.ValidateChannel(c, $"e.g. --channel {NsqReplay.DefaultChannel}, or leave it out for a new ephemeral channel") : null;
        var (count, timeout) = ValidateLimits(parse);
        var request = new NsqTailRequest(target, topic, channel, count, timeout, _environment.Time);
        return (output, error, stop) => NsqTail.RunAsync(request, output, error, stop);
    }

    private (int Count, int Timeout) ValidateLimits(ParseResult parse)
    {
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

        return (count, timeout);
    }
}
