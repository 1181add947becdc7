using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Tmq.Kafka.Tests.Fakes;
using Tmq.Tests.Shared;

namespace Tmq.Kafka.Tests.Consumer;

/// <summary>
/// A configured SASL password, TLS key password and TLS private key never appear in a log line
/// (librdkafka's debug log included) or in an exception's text, inner exceptions and stack
/// included: not when start-up fails, not when the broker cannot be reached.
/// </summary>
public sealed class KafkaSecretTests
{
    private const string SaslPassword = "sasl-pw-Q7xv93kd";
    private const string KeyPassword = "key-pw-M2hz81qa";
    private const string KeyBody = "MIIEvQIBADANBgkqhkiG9w0BAQEFAASC-KeyBody-Z9wr55tn";
    private const string PrivateKey = "-----BEGIN PRIVATE KEY-----\n" + KeyBody + "\n-----END PRIVATE KEY-----\n";

    private static readonly string[] Secrets = [SaslPassword, KeyPassword, KeyBody];

    public static TheoryData<string> StartFailures => ["refused by librdkafka", "refused by validation", "misspelt key", "refused by the producer"];

    [Theory]
    [MemberData(nameof(StartFailures))]
    public async Task Start_Fails_NoSecretInTheExceptionOrTheLogs(string failure)
    {
        var settings = WithSecrets("127.0.0.1:9");
        switch (failure)
        {
            case "refused by librdkafka":
                // A key that is not PEM: librdkafka fails the client's creation, quoting what it could not read.
                settings["Tmq:Consumers:main:Kafka:security.protocol"] = "SASL_SSL";
                settings["Tmq:Producer:Kafka:security.protocol"] = "SASL_SSL";
                break;
            case "refused by validation":
                settings["Tmq:Consumers:main:Retry:MaxAttempts"] = "0";
                settings["Tmq:Consumers:main:Kafka:fetch.max.bytes"] = "500";
                break;
            case "misspelt key":
                settings["Tmq:Consumers:main:Kafka:sasl.pasword"] = SaslPassword;
                break;
            default:
                settings["Tmq:Producer:Kafka:security.protocol"] = "bogus";
                break;
        }

        var logs = new SecretLogs(Secrets);
        using var host = Build(settings, logs);
        var ex = await Assert.ThrowsAnyAsync<Exception>(() => host.StartAsync());

        Assert.Empty(logs.Leaks(ex));
    }

    [Fact]
    public async Task BrokerUnreachable_DebugLogOn_NoSecretInAnyLogLine()
    {
        var settings = WithSecrets("127.0.0.1:9");
        settings["Tmq:Consumers:main:Kafka:security.protocol"] = "SASL_PLAINTEXT";
        settings["Tmq:Producer:Kafka:security.protocol"] = "SASL_PLAINTEXT";
        settings["Tmq:Consumers:main:Kafka:ssl.key.pem"] = null; // SASL_PLAINTEXT has no TLS to load it into
        settings["Tmq:Producer:Kafka:ssl.key.pem"] = null;
        settings["Tmq:Consumers:main:Kafka:debug"] = "all";
        settings["Tmq:Producer:Kafka:debug"] = "all";
        var logs = new SecretLogs(Secrets);
        using var host = Build(settings, logs);

        await host.StartAsync();
        await Eventually.TrueAsync(() => logs.Lines.Count(l => l.Contains("Connection refused", StringComparison.OrdinalIgnoreCase)) >= 2, TimeSpan.FromSeconds(30), "librdkafka should log the refused connections");
        await host.StopAsync();

        Assert.Empty(logs.Leaks());
        Assert.Contains(logs.Lines, l => l.Contains("sasl.password=***", StringComparison.Ordinal));
    }

    /// <summary>Every secret set for the consumer (which its dead-letter producer takes too) and for the shared producer.</summary>
    private static Dictionary<string, string?> WithSecrets(string bootstrapServers)
    {
        var settings = new Dictionary<string, string?>
        {
            ["Tmq:Service"] = "tests.kafka.secrets",
            ["Tmq:Consumers:main:Topic"] = "orders",
            ["Tmq:Consumers:main:Kafka:bootstrap.servers"] = bootstrapServers,
            ["Tmq:Producer:BootstrapServers"] = bootstrapServers,
        };
        foreach (var section in new[] { "Tmq:Consumers:main:Kafka", "Tmq:Producer:Kafka" })
        {
            settings[$"{section}:sasl.mechanism"] = "PLAIN";
            settings[$"{section}:sasl.username"] = "orders-service";
            settings[$"{section}:sasl.password"] = SaslPassword;
            settings[$"{section}:ssl.key.password"] = KeyPassword;
            settings[$"{section}:ssl.key.pem"] = PrivateKey;
        }

        return settings;
    }

    private static IHost Build(Dictionary<string, string?> settings, SecretLogs logs)
    {
        var builder = Host.CreateEmptyApplicationBuilder(new HostApplicationBuilderSettings());
        builder.Configuration.AddInMemoryCollection(settings.Where(static s => s.Value is not null));
        builder.Logging.AddProvider(logs);
        builder.Logging.SetMinimumLevel(LogLevel.Trace);
        builder.Services.AddTmqKafkaConsumer<NoOpHandler>();
        builder.Services.AddTmqKafkaProducer();
        return builder.Build();
    }

    private sealed class NoOpHandler : IMessageHandler
    {
        public Task HandleAsync(TmqMessage message, CancellationToken cancellationToken) => Task.CompletedTask;
    }
}
