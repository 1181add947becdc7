using Tmqtool.Packaging;
using Tmqtool.Validation;

namespace Tmqtool.Scaffolding;

/// <summary>Validates a <see cref="NewRequest"/> and fills in the defaults; throws <see cref="InputException"/>.</summary>
internal static class ScaffoldSettingsFactory
{
    /// <summary>Project types <c>--type</c> knows.</summary>
    internal static readonly IReadOnlyList<string> KnownTypes = ["mqserver"];

    private const string MqTypeRule = "one of: kafka, nsq";

    internal static ScaffoldSettings Create(NewRequest request, CliEnvironment environment)
    {
        ValidateType(request.Type);
        var mqType = ParseMqType(request.MqType);
        var psm = Psm.Validate(request.Psm);

        string topic, group;
        string? deadLetterTopic = null;
        if (mqType == MqType.Kafka)
        {
            if (request.Channel is not null)
            {
                throw new InputException("--channel is an NSQ setting; this is a Kafka service.", "Kafka consumers join a consumer group", "use --group, or --mqtype nsq");
            }

            topic = KafkaNames.ValidateTopic(request.Topic);
            group = request.Group is null ? psm : KafkaNames.ValidateGroup(request.Group);
        }
        else
        {
            if (request.Group is not null)
            {
                throw new InputException("--group is a Kafka setting; this is an NSQ service.", "NSQ consumers read from a channel", "use --channel, or --mqtype kafka");
            }

            topic = NsqNames.ValidateTopic(request.Topic);
            group = request.Channel is null ? psm : NsqNames.ValidateChannel(request.Channel);

            // "<topic>#ephemeral.dlq" is not a valid name, and dead letters belong in a durable topic.
            var baseName = NsqNames.BaseName(topic);
            if (!string.Equals(baseName, topic, StringComparison.Ordinal))
            {
                deadLetterTopic = baseName + ".dlq";
            }
        }

        var name = request.Name is null
            ? ProjectName.Validate(Psm.ToProjectName(psm), derivedFrom: psm)
            : ProjectName.Validate(request.Name);

        return new ScaffoldSettings(
            mqType,
            psm,
            topic,
            group,
            name,
            ResolveOutput(request.Output ?? name, environment),
            deadLetterTopic,
            PackageFeed.Resolve(request.Feed, environment),
            environment.Versions,
            RepositoryPath.ValidateUrl(request.Repository));
    }

    private static void ValidateType(string? type)
    {
        var known = string.Join(", ", KnownTypes);
        if (string.IsNullOrEmpty(type))
        {
            throw InputException.Missing("--type", "one of: " + known, "e.g. --type mqserver, or leave it out");
        }

        if (!KnownTypes.Contains(type, StringComparer.OrdinalIgnoreCase))
        {
            throw new InputException($"--type {Display.Quote(type)} is not a known project type.", "known types: " + known, "use --type mqserver (a consumer worker service), or leave --type out");
        }
    }

    private static MqType ParseMqType(string? value) => value?.ToUpperInvariant() switch
    {
        null or "" => throw InputException.Missing("--mqtype", MqTypeRule, "e.g. --mqtype kafka"),
        "KAFKA" => MqType.Kafka,
        "NSQ" => MqType.Nsq,
        _ => throw new InputException($"--mqtype {Display.Quote(value)} is not a supported message queue.", MqTypeRule, "use --mqtype kafka or --mqtype nsq"),
    };

    private static string ResolveOutput(string output, CliEnvironment environment)
    {
        const string Rule = "a folder path that is empty or does not exist yet (or use --force)";
        if (output.Length == 0)
        {
            throw InputException.Missing("-o|--output", Rule, "leave it out to use ./<name>");
        }

        if (output.Any(char.IsControl))
        {
            throw new InputException($"--output {Display.Quote(output)} contains a control character (a line break?).", Rule, "pass the folder path on its own");
        }

        try
        {
            return Path.TrimEndingDirectorySeparator(Path.GetFullPath(output, environment.WorkingDirectory));
        }
        catch (Exception e) when (e is ArgumentException or NotSupportedException or PathTooLongException)
        {
            throw new InputException($"--output {Display.Quote(output)} is not a usable path: {e.Message}", Rule, "pass a plain folder path, e.g. -o ./my-service");
        }
    }
}
