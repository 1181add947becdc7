namespace Tmq;

/// <summary>In-place retries with exponential backoff and jitter (section <c>Retry</c> of a consumer).</summary>
public sealed class RetryOptions
{
    /// <summary>
    /// Deliveries in all, the first included, before the message counts as exhausted.
    /// <value>Defaults to 5: rides out a few seconds of a flaky dependency, while a poison message
    /// holds its key for well under a minute.</value>
    /// </summary>
    public int MaxAttempts { get; set; } = TmqDefaults.MaxAttempts;

    /// <summary>Delay before the second attempt. <value>Defaults to 200 ms: long enough for a transient fault to clear, short enough not to be noticed.</value></summary>
    public TimeSpan InitialDelay { get; set; } = TmqDefaults.InitialDelay;

    /// <summary>Upper bound of any one delay. <value>Defaults to 30 s, so a key is never held for minutes by one wait.</value></summary>
    public TimeSpan MaxDelay { get; set; } = TmqDefaults.MaxDelay;

    /// <summary>Growth factor of the delay per attempt. <value>Defaults to 2 (200 ms, 400 ms, 800 ms, 1.6 s).</value></summary>
    public double Multiplier { get; set; } = TmqDefaults.Multiplier;

    /// <summary>
    /// Random spread of each delay, as a fraction: the delay is multiplied by a factor drawn
    /// uniformly from [1 - Jitter, 1 + Jitter], then capped at <see cref="MaxDelay"/>.
    /// <value>Defaults to 0.2, enough to keep many consumers failing on one dependency from retrying in lockstep.</value>
    /// </summary>
    public double Jitter { get; set; } = TmqDefaults.Jitter;

    /// <summary>
    /// Full names of exception types that are permanent failures (no retry), in addition to
    /// <see cref="PermanentFailureException"/>. A derived type matches too.
    /// <value>Defaults to empty.</value>
    /// </summary>
    public IList<string> PermanentExceptions { get; } = new List<string>();

    /// <summary>What happens once attempts are exhausted or a failure is permanent. <value>Defaults to <see cref="ExhaustedPolicy.DeadLetter"/>.</value></summary>
    public ExhaustedPolicy OnExhausted { get; set; } = ExhaustedPolicy.DeadLetter;

    /// <summary>The settings in one line, for the log of a live change.</summary>
    internal string Describe() => string.Create(
        System.Globalization.CultureInfo.InvariantCulture,
        $"MaxAttempts {MaxAttempts}, InitialDelay {InitialDelay}, MaxDelay {MaxDelay}, Multiplier {Multiplier}, Jitter {Jitter}, OnExhausted {OnExhausted}, PermanentExceptions [{string.Join(", ", PermanentExceptions)}]");
}
