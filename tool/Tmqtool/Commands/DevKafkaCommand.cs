using System.CommandLine;
using System.Globalization;
using System.Text.Json.Nodes;
using Tmqtool.Helper;
using Tmqtool.Validation;

namespace Tmqtool.Commands;

/// <summary><c>tmqtool dev kafka</c>: runs the embedded Kafka broker (librdkafka's mock cluster) until stopped.</summary>
internal sealed class DevKafkaCommand
{
    internal const string Examples = """
          tmqtool dev kafka
          tmqtool dev kafka --topic orders:3 --topic orders.dlq:1
          tmqtool dev kafka --port 9092 --topic orders:3        # the address appsettings.Development.json expects
          tmqtool dev kafka --brokers 3 --bootstrap-file ./bootstrap.txt &   # scripts: wait for the file, then read it
        """;

    internal const int MaxBrokers = 32;
    internal const int MaxPartitions = 1000;

    private const string TopicRule = "a Kafka topic name (1 to 249 of [a-zA-Z0-9._-]), optionally followed by ':' and a partition count from 1 to 1000";

    private readonly Option<int> _brokers = new("--brokers")
    {
        Description = $"Number of brokers, 1 to {MaxBrokers}; each gets its own random loopback port.",
        DefaultValueFactory = _ => 1,
        HelpName = "n",
    };

    private readonly Option<string[]> _topics = new("--topic")
    {
        Description = "Create a topic at start, with a partition count (default 1). Repeat for more topics. Other topics are created with 4 partitions when first produced to.",
        HelpName = "name[:partitions]",
        Arity = ArgumentArity.ZeroOrMore,
    };

    private readonly Option<int?> _port = new("--port")
    {
        Description = "Also listen on this fixed 127.0.0.1 port and forward it to the broker, so that a fixed address such as 127.0.0.1:9092 works. The brokers' own ports are random on every start.",
        HelpName = "port",
    };

    private readonly Option<string> _bootstrapFile = new("--bootstrap-file")
    {
        Description = "Write the bootstrap.servers address to this file once the broker is ready (removed when it stops); for scripts.",
        HelpName = "file",
    };

    private readonly CliEnvironment _environment;

    private DevKafkaCommand(CliEnvironment environment) => _environment = environment;

    internal static Command Create(CliEnvironment environment)
    {
        var verb = new DevKafkaCommand(environment);
        var command = new Command(
            "kafka",
            "Run an embedded Kafka broker (librdkafka's mock cluster: in memory, no Docker) until Ctrl+C or SIGTERM, and print its bootstrap.servers address. Its ports are random on every start; read the address it prints.")
        {
            verb._brokers, verb._topics, verb._port, verb._bootstrapFile,
        };
        command.SetAction(verb.Execute);
        return command;
    }

    private int Execute(ParseResult parse) => HelperVerb.Run(_environment, parse, CreateRequest);

    private HelperRequest CreateRequest(ParseResult parse)
    {
        var brokers = parse.GetValue(_brokers);
        if (brokers is < 1 or > MaxBrokers)
        {
            throw new InputException(
                $"--brokers {brokers.ToString(CultureInfo.InvariantCulture)} is out of range.",
                $"1 to {MaxBrokers} brokers",
                "use 1 for development, 3 to try broker failures");
        }

        var topics = new JsonArray();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var value in parse.GetValue(_topics) ?? [])
        {
            var (name, partitions) = ParseTopic(value);
            if (!seen.Add(name))
            {
                throw new InputException($"--topic {Display.Quote(name)} is given twice.", "each topic once", "keep one --topic for it, with the partition count you want");
            }

            topics.Add(new JsonObject { ["name"] = name, ["partitions"] = partitions });
        }

        var port = parse.GetValue(_port);
        if (port is < 1 or > 65535)
        {
            throw new InputException(
                $"--port {port.Value.ToString(CultureInfo.InvariantCulture)} is out of range.",
                "a TCP port from 1 to 65535",
                "e.g. --port 9092, or leave --port out and use the random address printed");
        }

        return new HelperRequest("dev-kafka", new JsonObject
        {
            ["brokers"] = brokers,
            ["topics"] = topics,
            ["port"] = port ?? 0,
            ["bootstrapFile"] = BootstrapFile(parse.GetValue(_bootstrapFile)),
        });
    }

    private static (string Name, int Partitions) ParseTopic(string value)
    {
        var colon = value.LastIndexOf(':');
        var name = colon < 0 ? value : value[..colon];
        if (!KafkaNames.IsValidTopicName(name))
        {
            throw InputException.Invalid("--topic", value, "topic", TopicRule, "e.g. --topic orders:3 --topic orders.dlq");
        }

        if (colon < 0)
        {
            return (name, 1);
        }

        var count = value[(colon + 1)..];
        if (!int.TryParse(count, NumberStyles.None, CultureInfo.InvariantCulture, out var partitions) || partitions is < 1 or > MaxPartitions)
        {
            throw new InputException(
                $"--topic {Display.Quote(value)} has the partition count {Display.Quote(count)}.",
                TopicRule,
                $"e.g. --topic {name}:3");
        }

        return (name, partitions);
    }

    private string? BootstrapFile(string? value)
    {
        if (value is null)
        {
            return null;
        }

        const string Rule = "a file path in an existing folder";
        if (value.Length == 0 || value.Any(char.IsControl))
        {
            throw InputException.Invalid("--bootstrap-file", value, "file path", Rule, "e.g. --bootstrap-file ./bootstrap.txt");
        }

        string path;
        try
        {
            path = Path.GetFullPath(value, _environment.WorkingDirectory);
        }
        catch (ArgumentException)
        {
            throw InputException.Invalid("--bootstrap-file", value, "file path", Rule, "e.g. --bootstrap-file ./bootstrap.txt");
        }

        if (Directory.Exists(path))
        {
            throw new InputException($"--bootstrap-file {Display.Quote(value)} is a folder.", Rule, "name a file in it, e.g. " + Path.Combine(value, "bootstrap.txt"));
        }

        if (!Directory.Exists(Path.GetDirectoryName(path)))
        {
            throw new InputException($"--bootstrap-file {Display.Quote(value)} is in a folder that does not exist.", Rule, "create the folder first, or write the file elsewhere");
        }

        return path;
    }
}
