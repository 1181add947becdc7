using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Tmq.Nsq.Tests.Fakes;
using Tmq.Tests.Shared;

namespace Tmq.Nsq.Tests.Hosting;

/// <summary>
/// The consumer's and the producer's Nsq:AuthSecret appear in no log line and in no exception's
/// text (inner exceptions and stack included): not when start-up fails, not when nsqd cannot be
/// reached, not when nsqd refuses the secret or does not ask for one.
/// </summary>
public sealed class NsqSecretTests
{
    private const string Secret = "nsq-secret-Vb83kq2Z";

    [Fact]
    public async Task Start_InvalidSettings_NoSecretInTheExceptionOrTheLogs()
    {
        var settings = WithSecret("127.0.0.1:4150");
        settings["Tmq:Consumers:main:Nsq:MaxInFlight"] = "0";
        settings["Tmq:Consumers:main:Topic"] = "bad topic";
        settings["Tmq:Producer:Nsqd:0"] = "not an address";
        var logs = new SecretLogs(Secret);
        using var host = Build(settings, logs);

        var ex = await Assert.ThrowsAnyAsync<Exception>(() => host.StartAsync());

        Assert.Contains("Nsq:MaxInFlight", ex.Message, StringComparison.Ordinal);
        Assert.Empty(logs.Leaks(ex));
    }

    [Fact]
    public async Task NsqdUnreachable_NoSecretInAnyLogLineOrTheSendsException()
    {
        var closed = ClosedPort();
        var logs = new SecretLogs(Secret);
        using var host = Build(WithSecret($"127.0.0.1:{closed}"), logs);

        await host.StartAsync();
        var ex = await Assert.ThrowsAnyAsync<Exception>(() => host.Services.GetRequiredService<ITmqProducer>().SendAsync("orders", null, "x"));
        await Eventually.TrueAsync(() => logs.Lines.Count(l => l.Contains(closed.ToString(System.Globalization.CultureInfo.InvariantCulture), StringComparison.Ordinal)) >= 2, "the refused connections are logged");
        await host.StopAsync();

        Assert.Empty(logs.Leaks(ex));
    }

    [Theory]
    [InlineData("another secret")]
    [InlineData(null)]
    public async Task NsqdRefusesOrDoesNotAsk_NoSecretInAnyLogLineOrTheSendsException(string? nsqdSecret)
    {
        await using var nsqd = await DevNsqd.StartAsync(new DevNsqdOptions { AuthSecret = nsqdSecret });
        var logs = new SecretLogs(Secret);
        using var host = Build(WithSecret($"127.0.0.1:{nsqd.TcpEndPoint.Port}"), logs);

        await host.StartAsync();
        var producer = host.Services.GetRequiredService<ITmqProducer>();
        Exception? ex = null;
        if (nsqdSecret is null)
        {
            await producer.SendAsync("orders", null, "x").Within();
            await Eventually.TrueAsync(() => nsqd.GetChannelStats("orders", "shop.orders.consumer") is { ClientCount: 1 }, "subscribed without AUTH");
        }
        else
        {
            ex = await Assert.ThrowsAnyAsync<Exception>(() => producer.SendAsync("orders", null, "x"));
            await Eventually.TrueAsync(() => logs.Lines.Any(l => l.Contains("E_AUTH_FAILED", StringComparison.Ordinal)), "the refusal is logged");
        }

        await host.StopAsync();

        Assert.Empty(logs.Leaks(ex));
    }

    private static Dictionary<string, string?> WithSecret(string nsqd) => new()
    {
        ["Tmq:Service"] = "shop.orders.consumer",
        ["Tmq:Consumers:main:Topic"] = "orders",
        ["Tmq:Consumers:main:Nsq:Nsqd:0"] = nsqd,
        ["Tmq:Consumers:main:Nsq:AuthSecret"] = Secret,
        ["Tmq:Consumers:main:Nsq:ReconnectDelay"] = "00:00:00.050",
        ["Tmq:Consumers:main:Nsq:MaxReconnectDelay"] = "00:00:00.200",
        ["Tmq:Producer:Nsqd:0"] = nsqd,
        ["Tmq:Producer:AuthSecret"] = Secret,
        ["Tmq:Producer:PublishTimeout"] = "00:00:02",
    };

    private static IHost Build(Dictionary<string, string?> settings, SecretLogs logs)
    {
        var builder = Host.CreateEmptyApplicationBuilder(new HostApplicationBuilderSettings());
        builder.Configuration.AddInMemoryCollection(settings);
        builder.Logging.AddProvider(logs);
        builder.Logging.SetMinimumLevel(LogLevel.Trace);
        builder.Services.AddSingleton(new DelegateHandler(static (_, _) => Task.CompletedTask));
        builder.Services.AddTmqNsqConsumer<DelegateHandler>();
        builder.Services.AddTmqNsqProducer();
        return builder.Build();
    }

    /// <summary>A loopback port nothing listens on: one just released.</summary>
    private static int ClosedPort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
