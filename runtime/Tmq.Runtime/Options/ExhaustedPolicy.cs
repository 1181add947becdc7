namespace Tmq;

/// <summary>What happens to a message whose retries are exhausted or that failed permanently.</summary>
public enum ExhaustedPolicy
{
    /// <summary>Write it to the dead-letter destination and move on; its offset commits once the write is acknowledged.</summary>
    DeadLetter = 0,

    /// <summary>
    /// Halt its partition (and key): nothing after it is handled or committed, fetching of that
    /// partition is paused, and the consumer's health check reports unhealthy until a restart.
    /// For consumers that must never skip a message.
    /// </summary>
    Stop = 1,
}
