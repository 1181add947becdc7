namespace Tmq;

/// <summary>Every default in one place; the reasons stand on the options that use them.</summary>
internal static class TmqDefaults
{
    internal const int Concurrency = 32;
    internal const int MaxBufferedMessages = 10_000;
    internal const int MaxAttempts = 5;
    internal const double Multiplier = 2.0;
    internal const double Jitter = 0.2;
    internal static readonly TimeSpan InitialDelay = TimeSpan.FromMilliseconds(200);
    internal static readonly TimeSpan MaxDelay = TimeSpan.FromSeconds(30);
    internal static readonly TimeSpan DeadLetterRetryDelay = TimeSpan.FromSeconds(1);
    internal static readonly TimeSpan DeadLetterMaxRetryDelay = TimeSpan.FromSeconds(30);
    internal static readonly TimeSpan ShutdownTimeout = TimeSpan.FromSeconds(20);
    internal static readonly TimeSpan RevokeDrainTimeout = TimeSpan.FromSeconds(10);

    /// <summary>After cancelling handlers that outlived a drain, how long to wait for them to stop.</summary>
    internal static readonly TimeSpan CancellationGrace = TimeSpan.FromSeconds(2);

    internal const int MaxConcurrency = 10_000;
    internal const int MaxBufferedLimit = 10_000_000;
}
