namespace Tmq;

/// <summary>Names of the metadata written with a dead-lettered message (Kafka headers, NSQ envelope fields).</summary>
public static class DeadLetterHeaders
{
    /// <summary>The topic the message was read from.</summary>
    public const string OriginalTopic = "tmq-dlq-original-topic";

    /// <summary>Its partition (Kafka only: an NSQ dead letter has none).</summary>
    public const string OriginalPartition = "tmq-dlq-original-partition";

    /// <summary>Its offset (Kafka) or message id (NSQ).</summary>
    public const string OriginalOffset = "tmq-dlq-original-offset";

    /// <summary>Its produce timestamp, Unix milliseconds.</summary>
    public const string OriginalTimestamp = "tmq-dlq-original-timestamp";

    /// <summary>The consumer group or channel that gave up.</summary>
    public const string Group = "tmq-dlq-group";

    /// <summary>How many deliveries were made.</summary>
    public const string Attempts = "tmq-dlq-attempts";

    /// <summary>The full type name of the last exception.</summary>
    public const string ExceptionType = "tmq-dlq-exception-type";

    /// <summary>The last exception's message.</summary>
    public const string ExceptionMessage = "tmq-dlq-exception-message";

    /// <summary>The last exception's stack trace, truncated to <see cref="MaxStackLength"/> characters.</summary>
    public const string Stack = "tmq-dlq-stack";

    /// <summary>When the runtime gave up, ISO 8601 UTC.</summary>
    public const string FailedAt = "tmq-dlq-failed-at";

    /// <summary>Longest stack trace written, in characters: enough for the top frames, small enough for a header.</summary>
    public const int MaxStackLength = 4096;

    /// <summary>Longest exception message written, in characters.</summary>
    public const int MaxMessageLength = 1024;

    /// <summary>Cuts <paramref name="text"/> to <paramref name="max"/> characters, marking the cut.</summary>
    public static string Truncate(string? text, int max)
    {
        if (string.IsNullOrEmpty(text))
        {
            return string.Empty;
        }

        return text.Length <= max ? text : string.Concat(text.AsSpan(0, max - 3), "...");
    }
}
