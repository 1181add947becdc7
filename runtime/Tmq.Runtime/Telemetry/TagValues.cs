namespace Tmq.Telemetry;

/// <summary>The values of <c>tmq.outcome</c> on <c>tmq.consumer.outcomes</c>.</summary>
internal static class OutcomeValues
{
    public const string Success = "success";
    public const string Retry = "retry";
    public const string Requeue = "requeue";
    public const string DeadLetter = "dead_letter";
    public const string Stopped = "stopped";
    public const string Cancelled = "cancelled";

    /// <summary>What an engine that retries in place reports (Kafka). Dead letter and stopped both: the policy is a live setting.</summary>
    public static readonly string[] InPlace = [Success, Retry, DeadLetter, Stopped, Cancelled];

    /// <summary>What an engine that may hand a retry back to the broker reports (NSQ); it still retries in place to keep a key's order.</summary>
    public static readonly string[] WithRequeue = [Success, Retry, Requeue, DeadLetter, Stopped, Cancelled];
}

/// <summary>A handler outcome the engine counts, in the order of <see cref="OutcomeValues.WithRequeue"/>.</summary>
internal enum Outcome
{
    Success,
    Retry,
    Requeue,
    DeadLetter,
    Stopped,
    Cancelled,
}

/// <summary>The values of <c>tmq.rebalance</c> on <c>tmq.consumer.rebalances</c>.</summary>
internal static class RebalanceValues
{
    public const string Assigned = "assigned";
    public const string Revoked = "revoked";
    public const string Lost = "lost";

    public static readonly string[] All = [Assigned, Revoked, Lost];
}
