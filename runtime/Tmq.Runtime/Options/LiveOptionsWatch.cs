using System.Text.Json;
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
/// applied while it is not. Says so too when a setting that is read only at start-up changes: it
/// applies at the next restart.
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

        var path = ConsumerOptionsValidator.ConsumerPath(name);
        var running = StartupSettings(factory.Create(name));
        var reported = string.Empty;

        // One save of a file often raises two reloads: the same rejection is said once within a few seconds.
        var rejections = new RepeatWindow(services.GetService<TimeProvider>() ?? TimeProvider.System, TimeSpan.FromSeconds(5));
        void Rejected(string errors)
        {
            if (rejections.Admit(errors))
            {
                Log.SettingsChangeRejected(logger, name, errors);
            }
        }

        return ChangeToken.OnChange(configuration.GetReloadToken, () =>
        {
            try
            {
                // The factory, not the monitor: the monitor may still hold the previous settings.
                var current = StartupSettings(factory.Create(name));
                var changed = string.Join(", ", current.Keys.Union(running.Keys)
                    .Where(k => !current.TryGetValue(k, out var now) || !running.TryGetValue(k, out var then) || now != then)
                    .Order(StringComparer.Ordinal)
                    .Select(k => $"{path}:{k}"));
                if (changed.Length > 0 && changed != reported)
                {
                    Log.RestartSettingsChanged(logger, name, changed);
                }

                reported = changed;
                rejections.Reset();
            }
            catch (OptionsValidationException ex)
            {
                Rejected(string.Join(" ", ex.Failures));
            }
            catch (InvalidOperationException ex)
            {
                // The configuration binder's own failures.
                Rejected(ex.Message);
            }
        });
    }

    /// <summary>The settings read only at start-up, flattened to <c>a:b</c> names (values are compared, never logged).</summary>
    private static Dictionary<string, string> StartupSettings<TOptions>(TOptions options)
    {
        var settings = new Dictionary<string, string>(StringComparer.Ordinal);
        Flatten(JsonSerializer.SerializeToElement(options), string.Empty, settings);
        return settings;

        static void Flatten(JsonElement element, string prefix, Dictionary<string, string> into)
        {
            if (element.ValueKind != JsonValueKind.Object)
            {
                into[prefix] = element.GetRawText();
                return;
            }

            foreach (var property in element.EnumerateObject())
            {
                if (prefix.Length == 0 && property.Name is nameof(ConsumerOptions.Concurrency) or nameof(ConsumerOptions.Paused) or nameof(ConsumerOptions.Retry))
                {
                    continue;
                }

                Flatten(property.Value, prefix.Length == 0 ? property.Name : $"{prefix}:{property.Name}", into);
            }
        }
    }
}
