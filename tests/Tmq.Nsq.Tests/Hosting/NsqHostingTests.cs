using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Time.Testing;
using Tmq.Nsq.Tests.Fakes;

namespace Tmq.Nsq.Tests.Hosting;

/// <summary>AddTmqNsqConsumer and AddTmqNsqProducer as a service uses them: settings checked at start-up, live options.</summary>
public sealed class NsqHostingTests
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(10);

    [Fact]
    public async Task Health_NoNsqdReachable_IsDegradedSayingSoInNsqTerms()
    {
        await using var nsqd = ScriptedNsqd.Start();
        var port = nsqd.EndPoint.Port;
        await nsqd.DisposeAsync();
        await using var host = await NsqTestHost.StartAsync(
            new Dictionary<string, string?> { ["Consumers:main:Nsq:Nsqd:0"] = $"127.0.0.1:{port}" },
            static (_, _) => Task.CompletedTask);

        var report = await host.Services.GetRequiredService<HealthCheckService>().CheckHealthAsync();

        var entry = report.Entries["tmq-consumer-main"];
        Assert.Equal(HealthStatus.Degraded, entry.Status);
        Assert.Equal("Consumer main is connected to no nsqd (none is reachable, or none has its topic yet).", entry.Description);
    }

    [Theory]
    [InlineData("Consumers:main:Group", "g", "Tmq:Consumers:main:Group is \"g\", but NSQ has channels")]
    [InlineData("Consumers:main:Channel", "bad channel", "Tmq:Consumers:main:Channel is \"bad channel\"")]
    [InlineData("Consumers:main:Topic", "orders!", "Tmq:Consumers:main:Topic is \"orders!\"; an NSQ topic name is")]
    [InlineData("Consumers:main:Nsq:Nsqd:0", "nsqd", "Tmq:Consumers:main:Nsq:Nsqd holds \"nsqd\"")]
    [InlineData("Consumers:main:Nsq:Lookupd:0", "ftp://x", "Tmq:Consumers:main:Nsq:Lookupd holds \"ftp://x\"")]
    [InlineData("Consumers:main:Nsq:MaxInFlight", "0", "Tmq:Consumers:main:Nsq:MaxInFlight is 0")]
    [InlineData("Consumers:main:Nsq:HeartbeatInterval", "00:05:00", "Tmq:Consumers:main:Nsq:HeartbeatInterval is 00:05:00")]
    [InlineData("Consumers:main:Nsq:MaxInFlihgt", "10", "Tmq:Consumers:main:Nsq:MaxInFlihgt is not a setting; the closest setting is MaxInFlight")]
    [InlineData("Producer:Nsqd:0", "nowhere", "Tmq:Producer:Nsqd holds \"nowhere\"")]
    [InlineData("Consumers:main:Nsq:MsgTimeout", "00:00:00", "Tmq:Consumers:main:Nsq:MsgTimeout is 00:00:00; nsqd needs at least 1 second")]
    [InlineData("Consumers:main:Nsq:ReconnectDelay", "-00:00:01", "Tmq:Consumers:main:Nsq:ReconnectDelay is -00:00:01 with MaxReconnectDelay 00:01:00; it must be positive and at most MaxReconnectDelay")]
    [InlineData("Consumers:main:Nsq:LookupdPollInterval", "00:00:00", "Tmq:Consumers:main:Nsq:LookupdPollInterval is 00:00:00; it must be at least 1 second")]
    [InlineData("Consumers:main:Nsq:DepthPollInterval", "-00:00:01", "Tmq:Consumers:main:Nsq:DepthPollInterval is -00:00:01; it must be 0 (off) or at least 1 second")]
    [InlineData("Consumers:main:Nsq:MaxRequeueDelay", "-00:00:01", "Tmq:Consumers:main:Nsq:MaxRequeueDelay is -00:00:01; it must not be negative")]
    [InlineData("Consumers:main:Nsq:MaxMessageBytes", "0", "Tmq:Consumers:main:Nsq:MaxMessageBytes is 0; it must be positive")]
    [InlineData("Consumers:main:Nsq:ConnectionsPerNsqd", "0", "Tmq:Consumers:main:Nsq:ConnectionsPerNsqd is 0; it must be between 1 and 16")]
    [InlineData("Consumers:main:Nsq:ConnectTimeout", "00:00:00", "Tmq:Consumers:main:Nsq:ConnectTimeout is 00:00:00; it must be positive")]
    [InlineData("Consumers:main:Nsq:DeflateLevel", "10", "Tmq:Consumers:main:Nsq:DeflateLevel is 10; it must be between 1 and 9")]
    [InlineData("Consumers:main:Nsq:TlsCaFile", "/no/such/ca.pem", "Tmq:Consumers:main:Nsq:TlsCaFile is \"/no/such/ca.pem\", which does not exist")]
    [InlineData("Consumers:main:Retry:InitialDelay", "-00:00:01", "Tmq:Consumers:main:Retry:InitialDelay is -00:00:01; it must not be negative")]
    [InlineData("Consumers:main:DeadLetter:RetryDelay", "00:00:00", "Tmq:Consumers:main:DeadLetter:RetryDelay is 00:00:00; it must be positive")]
    [InlineData("Producer:PublishTimeout", "00:00:00", "Tmq:Producer:PublishTimeout is 00:00:00 and HttpTimeout 00:00:03; both must be positive")]
    [InlineData("Producer:Mode", "Http", "Tmq:Producer:Http is empty, but Mode is Http")]
    [InlineData("Producer:Mode", "Carrier", "Tmq:Producer:Mode is \"Carrier\"; it must be one of Tcp, Http")]
    [InlineData("Producer:Http:0", "not a url", "Tmq:Producer:Http holds \"not a url\"; an nsqd HTTP address is")]
    [InlineData("Producer:MaxMessageBytes", "0", "Tmq:Producer:MaxMessageBytes is 0; it must be positive")]
    public async Task Start_InvalidSetting_FailsNamingTheSettingAndTheRule(string key, string value, string said)
    {
        var settings = new Dictionary<string, string?>
        {
            ["Tmq:Service"] = "shop.orders.consumer",
            ["Tmq:Consumers:main:Topic"] = "orders",
            ["Tmq:Consumers:main:Nsq:Nsqd:0"] = "127.0.0.1:4150",
            ["Tmq:Producer:Nsqd:0"] = "127.0.0.1:4150",
            ["Tmq:" + key] = value,
        };
        using var host = Build(settings);

        var error = await Assert.ThrowsAnyAsync<Exception>(() => host.StartAsync());

        Assert.Contains(said, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Start_NoNsqdAndNoLookupd_SaysWhatToSet()
    {
        using var host = Build(new Dictionary<string, string?> { ["Tmq:Service"] = "s", ["Tmq:Consumers:main:Topic"] = "orders" });

        var error = await Assert.ThrowsAnyAsync<Exception>(() => host.StartAsync());

        Assert.Contains("Nsq:Lookupd is empty and so is Nsq:Nsqd", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Paused_ChangedLive_SendsRdyZeroThenRestoresIt()
    {
        await using var nsqd = ScriptedNsqd.Start();
        var configuration = new ConfigurationManager();
        configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Tmq:Service"] = "shop.orders.consumer",
            ["Tmq:Consumers:main:Topic"] = "orders",
            ["Tmq:Consumers:main:Nsq:Nsqd:0"] = $"127.0.0.1:{nsqd.EndPoint.Port}",
        });
        using var host = Build(configuration);
        await host.StartAsync();
        try
        {
            await nsqd.WaitForCommandAsync("RDY", Wait, c => c.Line == "RDY 200");

            var live = (IConfigurationRoot)host.Services.GetRequiredService<IConfiguration>();
            live["Tmq:Consumers:main:Paused"] = "true";
            live.Reload();
            await nsqd.WaitForCommandAsync("RDY", Wait, c => c.Line == "RDY 0");
            live["Tmq:Consumers:main:Paused"] = "false";
            live.Reload();
            await nsqd.WaitUntilAsync(() => nsqd.Commands.Count(c => c.Line == "RDY 200") == 2, Wait, "RDY restored");
        }
        finally
        {
            await host.StopAsync();
        }
    }

    [Fact]
    public async Task Backoff_On_FailureStopsTheConsumerForTheDelayThenOneAtATimeUntilASuccess()
    {
        var time = new FakeTimeProvider(DateTimeOffset.UnixEpoch.AddDays(20000));
        await using var nsqd = ScriptedNsqd.Start();
        var settings = new Dictionary<string, string?>
        {
            ["Consumers:main:Nsq:Nsqd:0"] = $"127.0.0.1:{nsqd.EndPoint.Port}",
            ["Consumers:main:Nsq:Backoff"] = "true",
            ["Consumers:main:Retry:InitialDelay"] = "00:00:02",
            ["Consumers:main:Retry:Jitter"] = "0",
        };
        await using var host = await NsqTestHost.StartAsync(settings, static (message, _) =>
            message.Attempt == 1 ? throw new InvalidOperationException("downstream down") : Task.CompletedTask, time);
        await nsqd.WaitForCommandAsync("RDY", Wait, c => c.Line == "RDY 200");

        await nsqd.Connections[0].SendMessageAsync("0000000000000001", "m"u8.ToArray());

        await nsqd.WaitForCommandAsync("RDY", Wait, c => c.Line == "RDY 0");
        await nsqd.WaitForCommandAsync("REQ", Wait, c => c.Line == "REQ 0000000000000001 2000");
        time.Advance(TimeSpan.FromSeconds(2));
        await nsqd.WaitForCommandAsync("RDY", Wait, c => c.Line == "RDY 1");
        await nsqd.Connections[0].SendMessageAsync("0000000000000001", "m"u8.ToArray(), attempts: 2);
        await nsqd.WaitForCommandAsync("FIN", Wait);
        await nsqd.WaitUntilAsync(() => nsqd.Commands.Count(c => c.Line == "RDY 200") == 2, Wait, "full RDY after a success");
    }

    private static IHost Build(IDictionary<string, string?> settings)
    {
        var configuration = new ConfigurationManager();
        configuration.AddInMemoryCollection(settings);
        return Build(configuration);
    }

    private static IHost Build(ConfigurationManager configuration)
    {
        var builder = Host.CreateApplicationBuilder();
        builder.Configuration.AddConfiguration(configuration);
        builder.Services.AddSingleton(new DelegateHandler(static (_, _) => Task.CompletedTask));
        builder.Services.AddTmqNsqConsumer<DelegateHandler>("main");
        if (configuration["Tmq:Producer:Nsqd:0"] is not null)
        {
            builder.Services.AddTmqNsqProducer();
        }

        return builder.Build();
    }
}
