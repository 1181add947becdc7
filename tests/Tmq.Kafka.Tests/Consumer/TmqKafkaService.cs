using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Tmq.Hosting;

namespace Tmq.Kafka.Tests.Consumer;

/// <summary>A generic host running one Tmq Kafka consumer against the embedded broker, as a generated service would.</summary>
internal sealed class TmqKafkaService : IAsyncDisposable
{
    private readonly IHost _host;
    private int _disposed;

    private TmqKafkaService(IHost host) => _host = host;

    public IServiceProvider Services => _host.Services;

    public ConsumerStatus Status => _host.Services.GetRequiredKeyedService<ConsumerStatus>("main");

    public static async Task<TmqKafkaService> StartAsync(
        EmbeddedKafkaBroker broker,
        string topic,
        string group,
        IMessageHandler handler,
        Dictionary<string, string?>? settings = null,
        Action<IServiceCollection>? services = null,
        ILoggerProvider? logs = null)
    {
        var builder = Host.CreateEmptyApplicationBuilder(new HostApplicationBuilderSettings());
        var config = new Dictionary<string, string?>
        {
            ["Tmq:Service"] = "tests.kafka.consumer",
            ["Tmq:Consumers:main:Topic"] = topic,
            ["Tmq:Consumers:main:Group"] = group,
            ["Tmq:Consumers:main:Retry:InitialDelay"] = "00:00:00.010",
            ["Tmq:Consumers:main:Retry:MaxDelay"] = "00:00:00.050",
            ["Tmq:Consumers:main:DeadLetter:RetryDelay"] = "00:00:00.100",
            ["Tmq:Consumers:main:Kafka:bootstrap.servers"] = broker.BootstrapServers,
            ["Tmq:Consumers:main:Kafka:session.timeout.ms"] = "3000",
            ["Tmq:Consumers:main:Kafka:heartbeat.interval.ms"] = "300",
            ["Tmq:Consumers:main:Kafka:fetch.wait.max.ms"] = "50",
            ["Tmq:Consumers:main:Kafka:reconnect.backoff.ms"] = "50",
            ["Tmq:Consumers:main:Kafka:reconnect.backoff.max.ms"] = "500",
            ["Tmq:Consumers:main:Kafka:topic.metadata.refresh.interval.ms"] = "1000",
        };
        // Debugging aid: TMQ_KAFKA_DEBUG=cgrp,consumer (with TMQ_TEST_LOG=file) records librdkafka's debug log.
        var debug = Environment.GetEnvironmentVariable("TMQ_KAFKA_DEBUG");
        if (debug is { Length: > 0 })
        {
            config["Tmq:Consumers:main:Kafka:debug"] = debug;
        }

        foreach (var (key, value) in settings ?? [])
        {
            if (value is null)
            {
                config.Remove(key);
            }
            else
            {
                config[key] = value;
            }
        }

        builder.Configuration.AddInMemoryCollection(config);
        if (logs is not null)
        {
            builder.Logging.AddProvider(logs);
            if (debug is { Length: > 0 } || logs is LogCapture { Debug: true })
            {
                builder.Logging.SetMinimumLevel(LogLevel.Debug);
            }
        }

        builder.Services.AddSingleton(new TestHandler(handler));
        builder.Services.AddTmqKafkaConsumer<TestHandler>("main");
        services?.Invoke(builder.Services);
        var host = builder.Build();
        await host.StartAsync();
        return new TmqKafkaService(host);
    }

    /// <summary>
    /// For <paramref name="protocol"/> "consumer" switches <paramref name="settings"/> to KIP-848,
    /// where the broker owns the session timeouts (so the test's short ones are removed); "classic" keeps them.
    /// </summary>
    public static void UseGroupProtocol(Dictionary<string, string?> settings, string protocol)
    {
        if (protocol == "consumer")
        {
            settings["Tmq:Consumers:main:Kafka:group.protocol"] = "consumer";
            settings["Tmq:Consumers:main:Kafka:session.timeout.ms"] = null;
            settings["Tmq:Consumers:main:Kafka:heartbeat.interval.ms"] = null;
        }
    }

    /// <summary>Waits until the consumer holds at least one partition.</summary>
    public Task WaitForAssignmentAsync(TimeSpan? timeout = null) =>
        Fakes.Eventually.TrueAsync(() => Status.Assigned > 0, timeout ?? TimeSpan.FromSeconds(30), "the consumer was never assigned a partition");

    public Task StopAsync() => _host.StopAsync();

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 0)
        {
            await _host.StopAsync();
            _host.Dispose();
        }
    }

    /// <summary>Wraps the test's handler so the container can hold it under a concrete type.</summary>
    internal sealed class TestHandler(IMessageHandler inner) : IMessageHandler
    {
        public Task HandleAsync(TmqMessage message, CancellationToken cancellationToken) => inner.HandleAsync(message, cancellationToken);
    }
}
