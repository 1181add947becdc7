namespace Tmq.Retry;

/// <summary>Backoff arithmetic and failure classification, free of state so the engine reads live options each time.</summary>
internal static class RetryPolicy
{
    /// <summary>
    /// The delay after failed attempt <paramref name="attempt"/> (1-based):
    /// <c>min(MaxDelay, InitialDelay * Multiplier^(attempt-1) * U[1-Jitter, 1+Jitter])</c>.
    /// </summary>
    public static TimeSpan Delay(RetryOptions options, int attempt, double random)
    {
        var exponent = Math.Max(0, attempt - 1);
        var baseTicks = options.InitialDelay.Ticks * Math.Pow(options.Multiplier, exponent);
        var factor = 1.0 + (options.Jitter * ((2.0 * random) - 1.0));
        var ticks = Math.Min(baseTicks * factor, options.MaxDelay.Ticks);
        return TimeSpan.FromTicks((long)Math.Max(0, ticks));
    }

    /// <summary>The delay before dead-letter write number <paramref name="writes"/> + 1: doubling, capped.</summary>
    public static TimeSpan DeadLetterDelay(DeadLetterOptions options, int writes)
    {
        var ticks = options.RetryDelay.Ticks * Math.Pow(2, Math.Max(0, writes - 1));
        return TimeSpan.FromTicks((long)Math.Min(ticks, TmqDefaults.DeadLetterMaxRetryDelay.Ticks));
    }

    /// <summary>True when retrying cannot help: <see cref="PermanentFailureException"/> or a configured type (or a subtype).</summary>
    public static bool IsPermanent(Exception exception, RetryOptions options)
    {
        if (exception is PermanentFailureException)
        {
            return true;
        }

        if (options.PermanentExceptions.Count == 0)
        {
            return false;
        }

        for (var type = exception.GetType(); type is not null; type = type.BaseType)
        {
            foreach (var name in options.PermanentExceptions)
            {
                if (string.Equals(type.FullName, name, StringComparison.Ordinal))
                {
                    return true;
                }
            }
        }

        return false;
    }
}
