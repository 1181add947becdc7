using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Tmq.Tests.Fakes;

namespace Tmq.Tests.Options;

public sealed class ConsumerOptionsValidationTests
{
    [Fact]
    public async Task Start_InvalidOptions_FailsNamingEachSettingRuleAndFix()
    {
        using var host = BuildHost(new()
        {
            ["Tmq:Consumers:orders:Topic"] = "",
            ["Tmq:Consumers:orders:Concurrency"] = "0",
            ["Tmq:Consumers:orders:Retry:Jitter"] = "2",
            ["Tmq:Consumers:orders:Retry:InitialDelay"] = "00:01:00",
            ["Tmq:Consumers:orders:Retry:MaxDelay"] = "00:00:01",
            ["Tmq:Consumers:orders:ShutdownTimeout"] = "00:00:00",
        });

        var error = await Assert.ThrowsAsync<TmqSettingsException>(() => host.StartAsync());

        Assert.Contains("Tmq:Consumers:orders:Topic is empty; every consumer needs the topic it reads", error.Message);
        Assert.Contains("Tmq:Consumers:orders:Concurrency is 0; it must be between 1 and 10000", error.Message);
        Assert.Contains("Tmq:Consumers:orders:Retry:Jitter is 2; it is a fraction of the delay and must be between 0 and 1", error.Message);
        Assert.Contains("Tmq:Consumers:orders:Retry:MaxDelay is 00:00:01; it must be at least Retry:InitialDelay (00:01:00)", error.Message);
        Assert.Contains("Tmq:Consumers:orders:ShutdownTimeout is 00:00:00; it must be positive", error.Message);
        Assert.Contains("Tmq__Consumers__orders__Concurrency", error.Message);
    }

    [Fact]
    public async Task Start_InvalidSetting_HostLogsTheFixWithoutAStackTrace()
    {
        var logs = new CollectingLoggerProvider();
        using var host = BuildHost(new() { ["Tmq:Consumers:orders:Topic"] = "orders", ["Tmq:Consumers:orders:Concurrency"] = "0" }, logs);

        await Assert.ThrowsAsync<TmqSettingsException>(() => host.StartAsync());

        // The console logger prints an entry's exception with ToString().
        var failure = Assert.Single(logs.Entries, static e => e.Level == LogLevel.Error && e.Exception is not null).Exception!.ToString();
        Assert.StartsWith("Tmq.TmqSettingsException: Tmq:Consumers:orders:Concurrency is 0; it must be between 1 and 10000", failure, StringComparison.Ordinal);
        Assert.DoesNotContain("\n", failure, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Start_SeveralInvalidSettings_AreJoinedOnePerLine()
    {
        using var host = BuildHost(new()
        {
            ["Tmq:Consumers:orders:Topic"] = "orders",
            ["Tmq:Consumers:orders:Concurrency"] = "0",
            ["Tmq:Consumers:orders:Retry:Jitter"] = "2",
        });

        var error = await Assert.ThrowsAsync<TmqSettingsException>(() => host.StartAsync());

        Assert.Equal(
            "Tmq:Consumers:orders:Concurrency is 0; it must be between 1 and 10000. Fix it in appsettings.json (or the environment variable Tmq__Consumers__orders__Concurrency)."
            + Environment.NewLine
            + "Tmq:Consumers:orders:Retry:Jitter is 2; it is a fraction of the delay and must be between 0 and 1. Fix it in appsettings.json (or the environment variable Tmq__Consumers__orders__Retry__Jitter).",
            error.Message);
    }

    [Fact]
    public async Task Start_MisspeltConsumerSection_HostLogsOneMessageNamingTheSectionsWithoutAStackTrace()
    {
        // The section the consumer reads is absent, so its own settings fail too: two options fail at once.
        var logs = new CollectingLoggerProvider();
        using var host = BuildHost(new() { ["Tmq:Consumers:ordres:Topic"] = "orders" }, logs);

        var error = await Assert.ThrowsAsync<TmqSettingsException>(() => host.StartAsync());

        var failure = Assert.Single(logs.Entries, static e => e.Level == LogLevel.Error && e.Exception is not null).Exception!.ToString();
        Assert.Equal(
            "Tmq:Consumers:ordres is read by no consumer; the consumers this service registers are orders, and Tmq:Consumers:orders is not set: "
            + "rename Tmq:Consumers:ordres to Tmq:Consumers:orders (each AddTmq...Consumer(name) reads Tmq:Consumers:<name>). "
            + "Fix it in appsettings.json (or the environment variable Tmq__Consumers__ordres).",
            error.Failures.First());
        Assert.Equal("Tmq:Consumers:orders:Topic is empty; every consumer needs the topic it reads. Fix it in appsettings.json (or the environment variable Tmq__Consumers__orders__Topic).", error.Failures.Last());
        Assert.Equal(2, error.Failures.Count());

        // No AggregateException around it, no stack frames: the type and the two lines only.
        Assert.Equal($"Tmq.TmqSettingsException: {error.Message}", failure);
        Assert.DoesNotContain("   at ", failure, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Start_UnreadConsumerSectionBesideAValidOne_NamesTheRegisteredConsumers()
    {
        var logs = new CollectingLoggerProvider();
        using var host = BuildHost(new() { ["Tmq:Consumers:orders:Topic"] = "orders", ["Tmq:Consumers:refunds:Topic"] = "refunds" }, logs);

        var error = await Assert.ThrowsAsync<TmqSettingsException>(() => host.StartAsync());

        Assert.Equal(
            "Tmq:Consumers:refunds is read by no consumer; the consumers this service registers are orders (each AddTmq...Consumer(name) reads Tmq:Consumers:<name>). "
            + "Fix it in appsettings.json (or the environment variable Tmq__Consumers__refunds).",
            Assert.Single(error.Failures));
        var failure = Assert.Single(logs.Entries, static e => e.Level == LogLevel.Error && e.Exception is not null).Exception!.ToString();
        Assert.Equal($"Tmq.TmqSettingsException: {error.Message}", failure);
    }

    [Fact]
    public async Task Start_DeadLetterTopicSameAsSource_Fails()
    {
        using var host = BuildHost(new()
        {
            ["Tmq:Consumers:orders:Topic"] = "orders",
            ["Tmq:Consumers:orders:DeadLetter:Topic"] = "orders",
        });

        var error = await Assert.ThrowsAsync<TmqSettingsException>(() => host.StartAsync());
        Assert.Contains("DeadLetter:Topic is \"orders\"; it must differ from the consumed topic", error.Message);
    }

    [Fact]
    public async Task Start_UnknownEnumValue_FailsNamingThePath()
    {
        using var host = BuildHost(new()
        {
            ["Tmq:Consumers:orders:Topic"] = "orders",
            ["Tmq:Consumers:orders:Ordering"] = "Sideways",
        });

        var error = await Assert.ThrowsAnyAsync<Exception>(() => host.StartAsync());
        Assert.Contains("Tmq:Consumers:orders:Ordering", error.Message);
    }

    [Fact]
    public async Task Start_ValidOptions_StartsAndBindsEveryValue()
    {
        using var host = BuildHost(new()
        {
            ["Tmq:Consumers:orders:Topic"] = "orders",
            ["Tmq:Consumers:orders:Ordering"] = "Partition",
            ["Tmq:Consumers:orders:Concurrency"] = "4",
            ["Tmq:Consumers:orders:Retry:MaxAttempts"] = "7",
            ["Tmq:Consumers:orders:Retry:OnExhausted"] = "Stop",
            ["Tmq:Consumers:orders:Retry:PermanentExceptions:0"] = "System.FormatException",
        });

        await host.StartAsync();
        var options = host.Services.GetRequiredService<IOptionsMonitor<ConsumerOptions>>().Get("orders");
        await host.StopAsync();

        Assert.Equal(OrderingMode.Partition, options.Ordering);
        Assert.Equal(4, options.Concurrency);
        Assert.Equal(7, options.Retry.MaxAttempts);
        Assert.Equal(ExhaustedPolicy.Stop, options.Retry.OnExhausted);
        Assert.Equal(["System.FormatException"], options.Retry.PermanentExceptions);
        Assert.Equal("orders.dlq", options.DeadLetter.ResolveTopic(options.Topic));
    }

    [Fact]
    public void Register_SameNameTwice_FailsWithAClearMessage()
    {
        var services = new ServiceCollection();
        services.AddTmqConsumerOptions<ConsumerOptions>("orders");
        var error = Assert.Throws<InvalidOperationException>(() => services.AddTmqConsumerOptions<ConsumerOptions>("orders"));
        Assert.Contains("A consumer named 'orders' is already registered", error.Message);
    }

    [Fact]
    public void InMemoryConsumer_InvalidOptions_ThrowsBeforeStarting()
    {
        var error = Assert.Throws<TmqSettingsException>(() =>
            new InMemoryConsumer(Fakes.DelegateHandler.Succeed(), new ConsumerOptions { Topic = "t", MaxBufferedMessages = 4, Concurrency = 8 }));
        Assert.Contains("MaxBufferedMessages is 4; it must be at least Concurrency (8)", error.Message);
    }

    private static IHost BuildHost(Dictionary<string, string?> settings, ILoggerProvider? logs = null)
    {
        var builder = Host.CreateEmptyApplicationBuilder(new HostApplicationBuilderSettings());
        builder.Configuration.AddInMemoryCollection(settings);
        if (logs is not null)
        {
            builder.Logging.AddProvider(logs);
        }

        builder.Services.AddTmqConsumerOptions<ConsumerOptions>("orders");
        return builder.Build();
    }
}
