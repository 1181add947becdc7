using System.CommandLine;
using System.Text.Json.Nodes;
using Tmqtool.Helper;
using Tmqtool.Nsq;
using Tmqtool.Validation;

namespace Tmqtool.Commands;

/// <summary>
/// <c>tmqtool dlq replay</c>: sends the messages of a dead-letter topic back to the topic they
/// failed on, once the cause is fixed. Kafka through the helper; NSQ in the tool (<see cref="NsqReplay"/>).
/// </summary>
/// <remarks>
/// Replays what the dead-letter topic holds when it starts, not what arrives meanwhile, so a
/// message that fails again is dead-lettered again rather than replayed in a loop. Progress is
/// committed under a group of its own, so a second run resumes where the first stopped.
/// </remarks>
internal sealed class DlqReplayCommand
{
    internal const string Examples = """
          tmqtool dlq replay --bootstrap-servers 127.0.0.1:9092 --topic orders.dlq --dry-run
          tmqtool dlq replay --bootstrap-servers 127.0.0.1:9092 --topic orders.dlq
          tmqtool dlq replay --bootstrap-servers 127.0.0.1:9092 --topic orders.dlq --to orders.retry --count 10
          tmqtool dlq replay --nsqd 127.0.0.1:4150 --topic orders.dlq --dry-run
          tmqtool dlq replay --lookupd http://127.0.0.1:4161 --topic orders.dlq
        """;

    internal const int MaxCount = 1_000_000;
    internal const int MaxTimeoutSeconds = 3600;

    private readonly Option<string> _bootstrapServers = BootstrapServers.CreateOption();

    private readonly Option<string> _topic = new("--topic")
    {
        Description = "The dead-letter topic to replay, e.g. orders.dlq. Required.",
        HelpName = "topic",
    };

    private readonly Option<string> _to = new("--to")
    {
        Description = "Send every message to this topic. Default: the topic each one failed on (its tmq-dlq-original-topic header).",
        HelpName = "topic",
    };

    private readonly Option<string> _group = new("--group")
    {
        Description = "Kafka: the consumer group that records how far the replay got. Default: tmqtool-replay.<topic>.",
        HelpName = "group",
    };

    private readonly Option<string> _channel = new("--channel")
    {
        Description = $"NSQ: the channel of the dead-letter topic the replay reads (a message leaves it once replayed). Default: {NsqReplay.DefaultChannel}.",
        HelpName = "channel",
    };

    private readonly Option<int> _count = new("--count")
    {
        Description = $"Replay at most this many messages, 1 to {MaxCount}. Default: all that the topic holds when the replay starts.",
        HelpName = "n",
    };

    private readonly Option<bool> _dryRun = new("--dry-run")
    {
        Description = "Print what would be replayed; send and commit nothing.",
    };

    private readonly Option<int> _timeout = new("--timeout")
    {
        Description = $"Seconds to wait for the broker: its answers, each send, each read. 1 to {MaxTimeoutSeconds}.",
        DefaultValueFactory = _ => 30,
        HelpName = "seconds",
    };

    private readonly CliEnvironment _environment;

    /// <summary>The group a Kafka replay commits its progress under, unless --group names another; the console counts what waits past it.</summary>
    internal static string DefaultGroup(string topic) => "tmqtool-replay." + topic;

    private readonly BrokerVerb _broker;

    private DlqReplayCommand(CliEnvironment environment)
    {
        _environment = environment;
        _broker = new BrokerVerb(_bootstrapServers);
    }

    internal static Command Create(CliEnvironment environment)
    {
        var verb = new DlqReplayCommand(environment);
        var command = new Command(
            "replay",
            "Send the messages of a dead-letter topic back to the topic they failed on, with their key, value and headers (less the tmq-dlq-* ones). "
            + "Replays what the topic holds when it starts; a second run resumes where the first stopped.")
        {
            verb._bootstrapServers, verb._broker.Nsqd, verb._broker.Lookupd, verb._topic, verb._to, verb._group, verb._channel, verb._count, verb._dryRun, verb._timeout,
        };
        command.SetAction(verb.Execute);
        return command;
    }

    private int Execute(ParseResult parse) => _broker.Run(_environment, parse, CreateRequest, CreateNsqRun);

    private Func<TextWriter, TextWriter, CancellationToken, Task<int>> CreateNsqRun(ParseResult parse, NsqTarget target)
    {
        BrokerVerb.RefuseOnNsq(parse, _group, $"an NSQ replay reads through a channel of the dead-letter topic: give --channel, or leave it out for {NsqReplay.DefaultChannel}");
        var topic = NsqNames.ValidateAnyTopic("--topic", parse.GetValue(_topic), "orders.dlq");
        var to = parse.GetValue(_to) is { } toTopic ? NsqNames.ValidateAnyTopic("--to", toTopic, "orders") : null;
        RefuseLoop(topic, to);
        var channel = parse.GetValue(_channel) is { } c ? NsqNames.ValidateChannel(c, $"e.g. --channel {NsqReplay.DefaultChannel}") : NsqReplay.DefaultChannel;
        var (count, timeout) = ValidateLimits(parse);
        var request = new NsqReplayRequest(target, topic, to, channel, count, parse.GetValue(_dryRun), TimeSpan.FromSeconds(timeout), _environment.Time);
        return (output, error, stop) => NsqReplay.RunAsync(request, output, error, stop);
    }

    private static void RefuseLoop(string topic, string? to)
    {
        if (to == topic)
        {
            throw new InputException(
                $"--to '{to}' is the topic being replayed.",
                "a replay sends messages to another topic; into itself it would never end",
                "leave --to out to send each message back to the topic it failed on");
        }
    }

    private (int Count, int Timeout) ValidateLimits(ParseResult parse)
    {
        var count = 0;
        if (parse.GetResult(_count) is { Implicit: false })
        {
            count = parse.GetValue(_count);
            InputException.CheckRange("--count", count, 1, MaxCount, "e.g. --count 10, or leave it out to replay everything");
        }

        var timeout = parse.GetValue(_timeout);
        InputException.CheckRange("--timeout", timeout, 1, MaxTimeoutSeconds, "e.g. --timeout 30");
        return (count, timeout);
    }

    private HelperRequest CreateRequest(ParseResult parse)
    {
        var servers = BootstrapServers.Validate(parse.GetValue(_bootstrapServers));
        BrokerVerb.RefuseOnKafka(parse, _channel);
        var topic = KafkaNames.ValidateAnyTopic("--topic", parse.GetValue(_topic), "orders.dlq");
        var to = parse.GetValue(_to) is { } target ? KafkaNames.ValidateAnyTopic("--to", target, "orders") : null;
        RefuseLoop(topic, to);
        var group = parse.GetValue(_group) is { Length: > 0 } g
            ? KafkaNames.ValidateGroup(g, $"e.g. --group ops.replay, or leave it out to use {DefaultGroup("<topic>")}")
            : CheckedDefaultGroup(topic);
        var (count, timeout) = ValidateLimits(parse);
        return KafkaRequest(servers, topic, to, group, count, parse.GetValue(_dryRun), timeout);
    }

    /// <summary>The default group of a replay of <paramref name="topic"/>, or the reason it cannot be one (too long).</summary>
    internal static string CheckedDefaultGroup(string topic) =>
        DefaultGroup(topic) is { Length: <= KafkaNames.MaxGroupLength } fallback
            ? fallback
            : throw InputException.Missing("--group", KafkaNames.GroupRule, $"the default, {DefaultGroup("<topic>")}, is too long for this topic: give a shorter --group");

    /// <summary>The helper's request for a Kafka replay (validated values only; <paramref name="count"/> 0: all).</summary>
    internal static HelperRequest KafkaRequest(string servers, string topic, string? to, string group, int count, bool dryRun, int timeoutSeconds) =>
        new("dlq-replay", new JsonObject
        {
            ["bootstrapServers"] = servers,
            ["topic"] = topic,
            ["to"] = to,
            ["group"] = group,
            ["count"] = count,
            ["dryRun"] = dryRun,
            ["timeoutSeconds"] = timeoutSeconds,
        });
}
