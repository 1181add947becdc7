using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Primitives;
using Tmq.Telemetry;

namespace Tmq;

/// <summary>
/// Says so when a live change of a consumer's settings is rejected. The options monitor then keeps
/// the last valid settings without a word, so an edit such as <c>"Concurrency": 0</c> would look
/// applied while it is not.
/// </summary>
internal static class LiveOptionsWatch
{
    /// <summary>Checks the settings of consumer <paramref name="name"/> after every configuration reload; the result stops watching.</summary>
    public static IDisposable? Start<TOptions>(IServiceProvider services, string name, ILogger logger)
        where TOptions : class
    {
        var configuration = services.GetService<IConfiguration>();
        var factory = services.GetService<IOptionsFactory<TOptions>>();
        if (configuration is null || factory is null)
        {
            return null;
        }

        return ChangeToken.OnChange(configuration.GetReloadToken, () =>
        {
            try
            {
                // The factory, not the monitor: the monitor may still hold the previous settings.
                factory.Create(name);
            }
            catch (OptionsValidationException ex)
            {
                Log.SettingsChangeRejected(logger, name, string.Join(" ", ex.Failures));
            }
            catch (InvalidOperationException ex)
            {
                // The configuration binder's own failures.
                Log.SettingsChangeRejected(logger, name, ex.Message);
            }
        });
    }
}
