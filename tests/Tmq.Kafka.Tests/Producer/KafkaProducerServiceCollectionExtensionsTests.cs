using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using Tmq.Kafka.Tests.Fakes;

namespace Tmq.Kafka.Tests.Producer;

public sealed class KafkaProducerServiceCollectionExtensionsTests
{
    [Fact]
    public async Task AddTmqKafkaProducer_BoundFromConfiguration_SendsThroughTheSharedProducer()
    {
        using var broker = EmbeddedKafkaBroker.Start();
        broker.CreateTopic("di", 1);
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Tmq:Producer:BootstrapServers"] = broker.BootstrapServers,
            ["Tmq:Producer:Linger"] = "00:00:00",
            ["Tmq:Producer:Kafka:client.id"] = "from-config",
        });
        builder.Services.AddTmqKafkaProducer();
        using var host = builder.Build();
        await host.StartAsync();

        var producer = host.Services.GetRequiredService<ITmqProducer>();
        Assert.Same(host.Services.GetRequiredService<KafkaProducer>(), producer);
        Assert.Equal("from-config", host.Services.GetRequiredService<IOptions<KafkaProducerOptions>>().Value.Kafka["client.id"]);
        var result = await producer.SendAsync("di", "k", "v").Within(TimeSpan.FromSeconds(10));
        Assert.Equal(0, result.Offset);

        await host.StopAsync();
    }

    [Fact]
    public async Task AddTmqKafkaProducer_MissingBootstrapServers_FailsAtStartNamingTheSetting()
    {
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        builder.Services.AddTmqKafkaProducer();
        using var host = builder.Build();

        var ex = await Assert.ThrowsAsync<TmqSettingsException>(() => host.StartAsync());
        Assert.Contains("Tmq:Producer:BootstrapServers", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AddTmqKafkaProducer_ValueThatDoesNotConvert_FailsAtStartNamingTheValidValues()
    {
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Tmq:Producer:BootstrapServers"] = "127.0.0.1:9",
            ["Tmq:Producer:Compression"] = "brotli",
        });
        builder.Services.AddTmqKafkaProducer();
        using var host = builder.Build();

        var ex = await Assert.ThrowsAsync<TmqSettingsException>(() => host.StartAsync());
        Assert.Contains("Tmq:Producer:Compression is \"brotli\"; it must be one of None, Gzip, Snappy, Lz4, Zstd", ex.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("security.protocol", "bogus")]
    [InlineData("no.such.property", "1")]
    [InlineData("message.max.bytes", "lots")]
    public async Task AddTmqKafkaProducer_SettingLibrdkafkaRefuses_FailsAtStartNamingTheKeyAndTheSection(string key, string value)
    {
        // Nothing sends during the start: a producer built on first use would fail the service's
        // first send instead, long after the deployment looked healthy.
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Tmq:Producer:BootstrapServers"] = "127.0.0.1:9",
            [$"Tmq:Producer:Kafka:{key}"] = value,
        });
        builder.Services.AddTmqKafkaProducer();
        using var host = builder.Build();

        var ex = await Assert.ThrowsAnyAsync<Exception>(() => host.StartAsync());
        Assert.Contains($"\"{key}\"", ex.Message, StringComparison.Ordinal);
        Assert.Contains("Check Tmq:Producer and its Kafka section", ex.Message, StringComparison.Ordinal);
    }
}
