using System.Text.RegularExpressions;

namespace Tmqtool.Validation;

/// <summary>Kafka topic and consumer group names.</summary>
internal static partial class KafkaNames
{
    /// <summary>Kafka's own limit for topic names (and ours for group ids).</summary>
    internal const int MaxNameLength = 249;

    /// <summary>Four characters are kept for the dead-letter suffix ".dlq".</summary>
    internal const int MaxTopicLength = MaxNameLength - 4;
    internal const int MaxGroupLength = MaxNameLength;

    internal const string TopicRule =
        "1 to 245 characters from [a-zA-Z0-9._-], and not '.' or '..' (Kafka allows 249; 4 are kept for the dead-letter topic '<topic>.dlq')";

    /// <summary>
    /// Kafka itself accepts any group id; we keep the topic charset because the group also lands in
    /// metric labels, file names of dashboards and log lines.
    /// </summary>
    internal const string GroupRule = NameRule;

    /// <summary>Kafka's rule for topic names; <see cref="MaxNameLength"/> characters at most.</summary>
    private const string NameRule = "1 to 249 characters from [a-zA-Z0-9._-], and not '.' or '..'";

    internal static string ValidateTopic(string? value)
    {
        if (string.IsNullOrEmpty(value))
        {
            throw InputException.Missing("--topic", TopicRule, "name the topic to consume, e.g. --topic orders");
        }

        if (!IsValid(value, MaxTopicLength))
        {
            throw InputException.Invalid("--topic", value, "Kafka topic", TopicRule, "e.g. --topic orders or --topic shop.orders-created");
        }

        return value;
    }

    internal const string AnyTopicRule = NameRule;

    /// <summary>A topic to produce to, read or create (a dead-letter topic too): Kafka's own rule.</summary>
    internal static string ValidateAnyTopic(string option, string? value, string example)
    {
        if (string.IsNullOrEmpty(value))
        {
            throw InputException.Missing(option, AnyTopicRule, $"name the topic, e.g. {option} {example}");
        }

        if (!IsValidTopicName(value))
        {
            throw InputException.Invalid(option, value, "Kafka topic", AnyTopicRule, $"e.g. {option} {example}");
        }

        return value;
    }

    /// <summary>Kafka's own topic rule, without the room kept for ".dlq".</summary>
    internal static bool IsValidTopicName(string value) => IsValid(value, MaxNameLength);

    internal static string ValidateGroup(string value, string fix = "e.g. --group shop.orders.consumer, or leave it out to use the PSM")
    {
        if (!IsValid(value, MaxGroupLength))
        {
            throw InputException.Invalid("--group", value, "Kafka consumer group", GroupRule, fix);
        }

        return value;
    }

    private static bool IsValid(string value, int maxLength) =>
        value.Length <= maxLength && value is not ("." or "..") && Pattern().IsMatch(value);

    [GeneratedRegex(@"\A[a-zA-Z0-9._-]+\z", RegexOptions.CultureInvariant)]
    private static partial Regex Pattern();
}
