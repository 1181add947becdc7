using System.Globalization;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Tmq.Telemetry;

namespace Tmq;

/// <summary>
/// Says so when a settings file that reloads on change (appsettings.json) is saved in a state it
/// cannot be read in, such as a JSON syntax error. The configuration system otherwise drops the
/// failure silently: the running settings stay, and the edit looks applied while it is not.
/// Files whose source already has its own load-failure handler are left to it. One save often
/// raises two file events; the same failure of the same file is logged once within 5 s.
/// </summary>
internal sealed class SettingsFileWatch(IConfiguration configuration, ILogger<SettingsFileWatch> logger, TimeProvider time) : IHostedService
{
    private readonly RepeatWindow _repeats = new(time, TimeSpan.FromSeconds(5));

    public Task StartAsync(CancellationToken cancellationToken)
    {
        if (configuration is not IConfigurationRoot root)
        {
            return Task.CompletedTask;
        }

        foreach (var provider in root.Providers.OfType<FileConfigurationProvider>())
        {
            var source = provider.Source;
            if (source.ReloadOnChange && source.OnLoadException is null)
            {
                // Not ignored: an ignored failure would publish the file as empty, and every setting
                // it holds would fall back to its default.
                source.OnLoadException = context => Report(FileOf(source), Describe(context.Exception));
            }
        }

        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    private void Report(string file, string error)
    {
        if (_repeats.Admit($"{file}\n{error}"))
        {
            Log.SettingsFileUnreadable(logger, file, error);
        }
    }

    private static string FileOf(FileConfigurationSource source) =>
        source.FileProvider?.GetFileInfo(source.Path ?? string.Empty).PhysicalPath ?? source.Path ?? "(unnamed)";

    /// <summary>
    /// The innermost cause says where the file is wrong; the wrappers only repeat the file name. A
    /// JSON error counts lines and bytes from 0; an editor counts from 1, so the place is given so.
    /// </summary>
    private static string Describe(Exception exception)
    {
        var inner = exception;
        while (inner.InnerException is not null)
        {
            inner = inner.InnerException;
        }

        if (inner is System.Text.Json.JsonException { LineNumber: { } line, BytePositionInLine: { } column })
        {
            var text = inner.Message;
            var cut = text.IndexOf(" LineNumber:", StringComparison.Ordinal);
            return string.Create(CultureInfo.InvariantCulture, $"line {line + 1}, column {column + 1}: {(cut > 0 ? text[..cut] : text)}");
        }

        return inner.Message;
    }
}
