using System.Globalization;
using Tmq;

namespace Tmq.Chaos.Worker;

/// <summary>
/// CHAOS_FAIL_EVERY=n: a message whose sequence (its value) is a multiple of n fails for good once
/// it is recorded, so that the runtime dead-letters it. Unset or 0: nothing fails.
/// </summary>
internal sealed class FailingMessages(int every)
{
    public static FailingMessages FromEnvironment() =>
        new(int.TryParse(Environment.GetEnvironmentVariable("CHAOS_FAIL_EVERY"), NumberStyles.Integer, CultureInfo.InvariantCulture, out var every) ? every : 0);

    public void ThrowIfChosen(TmqMessage message)
    {
        if (every > 0 && int.Parse(message.ValueAsString(), CultureInfo.InvariantCulture) % every == 0)
        {
            throw new PermanentFailureException($"sequence {message.ValueAsString()} of key {message.KeyAsString()} fails by design (CHAOS_FAIL_EVERY={every})");
        }
    }
}
