namespace Tmq;

/// <summary>Where exhausted and permanently failed messages go (section <c>DeadLetter</c> of a consumer).</summary>
public sealed class DeadLetterOptions
{
    /// <summary>
    /// The dead-letter topic. <value>Defaults to null, meaning <c>&lt;topic&gt;.dlq</c>.</value>
    /// </summary>
    public string? Topic { get; set; }

    /// <summary>
    /// Delay before a failed dead-letter write is tried again (doubling up to 30 s). The original
    /// message stays uncommitted until a write is acknowledged, so nothing is lost meanwhile.
    /// <value>Defaults to 1 s.</value>
    /// </summary>
    public TimeSpan RetryDelay { get; set; } = TmqDefaults.DeadLetterRetryDelay;

    /// <summary>The topic to use for a consumer of <paramref name="sourceTopic"/>.</summary>
    public string ResolveTopic(string sourceTopic) => string.IsNullOrWhiteSpace(Topic) ? sourceTopic + ".dlq" : Topic;
}
