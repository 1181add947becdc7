using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Tmq.Tests.Fakes;

namespace Tmq.Tests.Options;

/// <summary>appsettings.json saved with a syntax error while the service runs, through the host's own file watching.</summary>
public sealed class SettingsFileWatchTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("tmq-settings-").FullName;

    [Fact]
    public async Task AppSettings_SavedUnreadable_LogsErrorNamingFileAndPlace_KeepsSettings_ThenAppliesTheFix()
    {
        var file = Path.Combine(_dir, "appsettings.json");
        await File.WriteAllTextAsync(file, """{ "Tmq": { "Service": "shop.orders.consumer" } }""");
        var logs = new CollectingLoggerProvider();
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { ContentRootPath = _dir, Args = [] });
        builder.Logging.ClearProviders();
        builder.Logging.AddProvider(logs);
        builder.Services.AddTmqCore();
        using var host = builder.Build();
        await host.StartAsync();
        var options = host.Services.GetRequiredService<IOptionsMonitor<TmqOptions>>();

        await File.WriteAllTextAsync(file, "{ \"Tmq\": {\n  \"Service\": \"shop.orders.other\",,\n} }");

        // One save may raise two file events (the file emptied, then written): the same failure is logged once.
        await Eventually.TrueAsync(() => logs.Entries.Any(static e => e.Id == 1014 && e.Message.Contains("line 2, column 34: ',' is an invalid start of a property name.", StringComparison.Ordinal)));
        var errors = logs.Entries.Where(static e => e.Id == 1014).ToList();
        Assert.All(errors, e => Assert.Equal(LogLevel.Error, e.Level));
        Assert.All(errors, e => Assert.Contains(file, e.Message));
        Assert.Equal(errors.Count, errors.Select(static e => e.Message).Distinct().Count());
        Assert.Equal("shop.orders.consumer", options.CurrentValue.Service);

        await File.WriteAllTextAsync(file, """{ "Tmq": { "Service": "shop.orders.fixed" } }""");

        await Eventually.TrueAsync(() => options.CurrentValue.Service == "shop.orders.fixed");
        Assert.Equal(errors.Count, logs.Entries.Count(static e => e.Id == 1014));
        await host.StopAsync();
    }

    public void Dispose() => Directory.Delete(_dir, recursive: true);
}
