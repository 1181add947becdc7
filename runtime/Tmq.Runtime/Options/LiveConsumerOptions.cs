using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Tmq.Dispatch;
using Tmq.Telemetry;

namespace Tmq;

/// <summary>How every transport's hosted consumer applies a live change of its options.</summary>
internal static class LiveConsumerOptions
{
    /// <summary>
    /// On each change of consumer <paramref name="name"/>: logs a new retry policy, stores the options
    /// (<paramref name="store"/>), sets the engine's concurrency, then lets the transport react
    /// (<paramref name="transportChanged"/>: Paused). A change that fails validation never gets here
    /// (the monitor rejects it), so the consumer keeps its last valid settings.
    /// </summary>
    public static IDisposable? Watch<TOptions>(IOptionsMonitor<TOptions> monitor, string name, ILogger logger, Func<TOptions> current, Action<TOptions> store, DispatchEngine engine, Action transportChanged)
        where TOptions : ConsumerOptions =>
        monitor.OnChange((changed, changedName) =>
        {
            if (changedName != name)
            {
                return;
            }

            if (changed.Retry.Describe() is var retry && retry != current().Retry.Describe())
            {
                Log.RetryChanged(logger, name, retry);
            }

            store(changed);
            engine.SetConcurrency(changed.Concurrency);
            transportChanged();
        });
}
