using Rule = Tmq.Nsq.NsqNames;

namespace Tmqtool.Validation;

/// <summary>NSQ topic and channel names for the command line: the runtime's rule (nsqd's), with the tool's messages.</summary>
internal static class NsqNames
{
    internal const int MaxLength = Rule.MaxLength;
    internal const string EphemeralSuffix = Rule.EphemeralSuffix;

    /// <summary>Four characters are kept so that the dead-letter topic "&lt;topic&gt;.dlq" is valid too.</summary>
    internal const int MaxTopicBaseLength = MaxLength - 4;

    internal const string TopicRule =
        "1 to 64 characters from [.a-zA-Z0-9_-], optionally ending in '#ephemeral' (counted in the 64); without that suffix at most 60, so that the dead-letter topic '<topic>.dlq' fits";

    internal const string AnyTopicRule = ChannelRule;

    internal const string ChannelRule =
        "1 to 64 characters from [.a-zA-Z0-9_-], optionally ending in '#ephemeral' (counted in the 64)";

    internal static string ValidateTopic(string? value)
    {
        if (string.IsNullOrEmpty(value))
        {
            throw InputException.Missing("--topic", TopicRule, "name the topic to consume, e.g. --topic orders");
        }

        if (!IsValid(value) || BaseName(value).Length > MaxTopicBaseLength)
        {
            throw InputException.Invalid("--topic", value, "NSQ topic", TopicRule, "e.g. --topic orders or --topic orders#ephemeral");
        }

        return value;
    }

    /// <summary>Any topic nsqd accepts (a verb's <paramref name="option"/>, e.g. --topic or --to), dead-letter topics included.</summary>
    internal static string ValidateAnyTopic(string option, string? value, string example)
    {
        if (string.IsNullOrEmpty(value))
        {
            throw InputException.Missing(option, AnyTopicRule, $"e.g. {option} {example}");
        }

        if (!IsValid(value))
        {
            throw InputException.Invalid(option, value, "NSQ topic", AnyTopicRule, $"e.g. {option} {example}");
        }

        return value;
    }

    internal static string ValidateChannel(string value, string fix = "e.g. --channel search-indexer, or leave it out to use the PSM")
    {
        if (!IsValid(value))
        {
            throw InputException.Invalid("--channel", value, "NSQ channel", ChannelRule, fix);
        }

        return value;
    }

    /// <summary>The name without its "#ephemeral" suffix.</summary>
    internal static string BaseName(string name) =>
        Rule.IsEphemeral(name) ? name[..^EphemeralSuffix.Length] : name;

    private static bool IsValid(string value) => Rule.IsValid(value);
}
