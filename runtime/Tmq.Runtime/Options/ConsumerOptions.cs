namespace Tmq;

/// <summary>
/// The settings of one named consumer, bound from <c>Tmq:Consumers:&lt;name&gt;</c>.
/// <see cref="Concurrency"/>, <see cref="Paused"/> and <see cref="Retry"/> are read live: editing
/// appsettings.json changes them without a restart.
/// </summary>
public class ConsumerOptions
{
    /// <summary>The topic to consume. Required.</summary>
    public string Topic { get; set; } = string.Empty;

    /// <summary>The Kafka consumer group or NSQ channel. <value>Defaults to null, meaning the service name (<c>Tmq:Service</c>).</value></summary>
    public string? Group { get; set; }

    /// <summary>Which messages are kept in order. <value>Defaults to <see cref="OrderingMode.Key"/>.</value></summary>
    public OrderingMode Ordering { get; set; } = OrderingMode.Key;

    /// <summary>
    /// How many handler calls may run at once. Live.
    /// <value>Defaults to 32: handlers are usually I/O-bound (a database, an HTTP call), and 32
    /// overlapping calls keep a 2-core service busy without overwhelming a downstream dependency.</value>
    /// </summary>
    public int Concurrency { get; set; } = TmqDefaults.Concurrency;

    /// <summary>
    /// Fetched but unfinished messages held; past it fetching pauses, and it resumes at half. A
    /// partition holding less than its share (this over the partitions held) still takes messages
    /// while it is full, so one partition's backlog behind a slow or retrying key cannot keep the
    /// others waiting: at most twice this is held. Bounds memory whatever the backlog.
    /// <value>Defaults to 10,000: at 1 KiB a message about 10 MiB, and enough look-ahead that free
    /// workers find a message of a key that is not busy.</value>
    /// </summary>
    public int MaxBufferedMessages { get; set; } = TmqDefaults.MaxBufferedMessages;

    /// <summary>Retry policy. Live.</summary>
    public RetryOptions Retry { get; set; } = new();

    /// <summary>Dead-letter destination.</summary>
    public DeadLetterOptions DeadLetter { get; set; } = new();

    /// <summary>
    /// How long shutdown waits for in-flight handlers before cancelling them.
    /// <value>Defaults to 20 s, inside the host's default 30 s shutdown so the final commit and
    /// leaving the group still fit.</value>
    /// </summary>
    public TimeSpan ShutdownTimeout { get; set; } = TmqDefaults.ShutdownTimeout;

    /// <summary>
    /// How long a revoke waits for in-flight handlers of the revoked partitions before cancelling
    /// them. The rebalance waits meanwhile.
    /// <value>Defaults to 10 s: short enough that a rebalance is not held long, long enough for ordinary handlers to finish.</value>
    /// </summary>
    public TimeSpan RevokeDrainTimeout { get; set; } = TmqDefaults.RevokeDrainTimeout;

    /// <summary>When true, fetching stops; the messages already fetched (up to <see cref="MaxBufferedMessages"/>) are still handled. False resumes. Live. <value>Defaults to false.</value></summary>
    public bool Paused { get; set; }
}
