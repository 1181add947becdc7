using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Tmq.Telemetry;

namespace Tmq;

/// <summary>
/// Says so when a settings file that reloads on change (appsettings.json) is saved in a state it
/// cannot be read in, such as a JSON syntax error. The configuration system otherwise drops the
/// failure silently: the running settings stay, and the edit looks applied while it is not.
/// Files whose source already has its own load-failure handler are left to it.
/// </summary>
internal sealed class SettingsFileWatch(IConfiguration configuration, ILogger<SettingsFileWatch> logger) : IHostedService
{
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
                source.OnLoadException = context => Log.SettingsFileUnreadable(logger, FileOf(source), Describe(context.Exception));
            }
        }

        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    private static string FileOf(FileConfigurationSource source) =>
        source.FileProvider?.GetFileInfo(source.Path ?? string.Empty).PhysicalPath ?? source.Path ?? "(unnamed)";

    /// <summary>The innermost cause says where the file is wrong (for JSON: line and byte); the wrappers only repeat the file name.</summary>
    private static string Describe(Exception exception)
    {
        var inner = exception;
        while (inner.InnerException is not null)
        {
            inner = inner.InnerException;
        }

        return inner.Message;
    }
}
