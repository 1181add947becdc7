using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace Tmq.Kafka.Tests.Consumer;

/// <summary>
/// Bad configuration stops the start with one message per bad setting: its path, its value, the
/// rule and where to fix it. No broker is needed: nothing gets far enough to connect.
/// </summary>
public sealed class KafkaConsumerConfigurationErrorTests
{
    [Fact]
    public async Task Start_ValuesThatDoNotConvert_NameEverySettingAndItsValidValues()
    {
        var ex = await Assert.ThrowsAsync<TmqSettingsException>(() => StartAsync(new()
        {
            ["Tmq:Consumers:main:Ordering"] = "Random",
            ["Tmq:Consumers:main:MaxBufferedMessages"] = "lots",
            ["Tmq:Consumers:main:ShutdownTimeout"] = "soon",
            ["Tmq:Consumers:main:Paused"] = "maybe",
            ["Tmq:Consumers:main:Retry:OnExhausted"] = "Ignore",
            ["Tmq:Consumers:main:Retry:Multiplier"] = "two",
        }));

        string[] expected =
        [
            "Tmq:Consumers:main:Ordering is \"Random\"; it must be one of Key, Partition, None. Fix it in appsettings.json (or the environment variable Tmq__Consumers__main__Ordering).",
            "Tmq:Consumers:main:MaxBufferedMessages is \"lots\"; it must be a whole number. Fix it in appsettings.json (or the environment variable Tmq__Consumers__main__MaxBufferedMessages).",
            "Tmq:Consumers:main:Retry:Multiplier is \"two\"; it must be a number, e.g. 1.5. Fix it in appsettings.json (or the environment variable Tmq__Consumers__main__Retry__Multiplier).",
            "Tmq:Consumers:main:Retry:OnExhausted is \"Ignore\"; it must be one of DeadLetter, Stop. Fix it in appsettings.json (or the environment variable Tmq__Consumers__main__Retry__OnExhausted).",
            "Tmq:Consumers:main:ShutdownTimeout is \"soon\"; it must be a duration as hh:mm:ss, e.g. \"00:00:30\" (a bare number would mean days). Fix it in appsettings.json (or the environment variable Tmq__Consumers__main__ShutdownTimeout).",
            "Tmq:Consumers:main:Paused is \"maybe\"; it must be true or false. Fix it in appsettings.json (or the environment variable Tmq__Consumers__main__Paused).",
        ];
        Assert.Equal(expected.Order(StringComparer.Ordinal), ex.Failures.Order(StringComparer.Ordinal));
    }

    [Fact]
    public async Task Start_UnconvertibleAndOutOfRangeValuesTogether_AreReportedInOneStart()
    {
        var ex = await Assert.ThrowsAsync<TmqSettingsException>(() => StartAsync(new()
        {
            ["Tmq:Consumers:main:Ordering"] = "Random",
            ["Tmq:Consumers:main:Concurrency"] = "-1",
            ["Tmq:Consumers:main:Retry:MaxAttempts"] = "0",
            ["Tmq:Consumers:main:ShutdownTimeout"] = "20",
        }));

        Assert.Equal(4, ex.Failures.Count());
        Assert.Contains(ex.Failures, f => f.StartsWith("Tmq:Consumers:main:Ordering is \"Random\"; it must be one of", StringComparison.Ordinal));
        Assert.Contains(ex.Failures, f => f.StartsWith("Tmq:Consumers:main:ShutdownTimeout is \"20\"; it must be a duration", StringComparison.Ordinal));
        Assert.Contains(ex.Failures, f => f.StartsWith("Tmq:Consumers:main:Concurrency is -1; it must be between 1 and", StringComparison.Ordinal));
        Assert.Contains(ex.Failures, f => f.StartsWith("Tmq:Consumers:main:Retry:MaxAttempts is 0; it counts every delivery", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Start_KeyThatIsNotASetting_IsRefusedWithTheLikelySetting()
    {
        // The binder would ignore these and run with the defaults.
        var ex = await Assert.ThrowsAsync<TmqSettingsException>(() => StartAsync(new()
        {
            ["Tmq:Consumers:main:Concurency"] = "5",
            ["Tmq:Consumers:main:Retry:MaxAttemps"] = "2",
            ["Tmq:Consumers:main:Retry:Jtiter"] = "0.5",
            ["Tmq:Consumers:main:Nsq:Lookupd:0"] = "http://127.0.0.1:4161",
        }));

        string[] expected =
        [
            "Tmq:Consumers:main:Concurency is not a setting; the closest setting is Concurrency. Fix it in appsettings.json (or the environment variable Tmq__Consumers__main__Concurency).",
            "Tmq:Consumers:main:Retry:MaxAttemps is not a setting; the closest setting is MaxAttempts. Fix it in appsettings.json (or the environment variable Tmq__Consumers__main__Retry__MaxAttemps).",
        ];
        foreach (var failure in expected)
        {
            Assert.Contains(failure, ex.Failures);
        }

        Assert.Contains(ex.Failures, f => f.StartsWith("Tmq:Consumers:main:Nsq is not a setting; the settings here are ", StringComparison.Ordinal) && f.Contains("Concurrency, MaxBufferedMessages", StringComparison.Ordinal));
        Assert.Contains(ex.Failures, f => f.StartsWith("Tmq:Consumers:main:Retry:Jtiter is not a setting; the closest setting is Jitter.", StringComparison.Ordinal));
        Assert.Equal(4, ex.Failures.Count());
    }

    [Theory]
    [InlineData("not-a-host:xx", "the port of \"not-a-host:xx\" is not a number from 1 to 65535")]
    [InlineData("kafka-1:9092,,kafka-2:9092", "it has an empty entry")]
    [InlineData("kafka-1:70000", "the port of \"kafka-1:70000\" is not a number from 1 to 65535")]
    [InlineData(":9092", "\":9092\" has no host name")]
    public async Task Start_BootstrapServersNotAListOfHostPort_NamesTheSetting(string servers, string problem)
    {
        // librdkafka would read "xx" as port 0 and retry for ever.
        var ex = await Assert.ThrowsAsync<TmqSettingsException>(() => StartAsync(new() { ["Tmq:Consumers:main:Kafka:bootstrap.servers"] = servers }));
        Assert.Contains($"Tmq:Consumers:main:Kafka:bootstrap.servers is \"{servers}\", and {problem}; it must be a comma-separated list of host:port", ex.Message, StringComparison.Ordinal);
        Assert.Contains("the environment variable Tmq__Consumers__main__Kafka__bootstrap_servers.", ex.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(null)]
    [InlineData("orders-svc")]
    public async Task Start_GroupIdInTheKafkaSection_IsRefusedNamingGroup(string? group)
    {
        // librdkafka would join "elsewhere" while the logs, metrics, health and dead letters name the Group.
        var ex = await Assert.ThrowsAsync<TmqSettingsException>(() => StartAsync(new()
        {
            ["Tmq:Consumers:main:Group"] = group,
            ["Tmq:Consumers:main:Kafka:group.id"] = "elsewhere",
        }));

        Assert.Contains("Tmq:Consumers:main:Kafka:group.id is \"elsewhere\"; the consumer group is Tmq:Consumers:main:Group", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Start_GroupIdInTheKafkaSectionSameAsGroup_Starts()
    {
        await StartAsync(new()
        {
            ["Tmq:Consumers:main:Group"] = "orders-svc",
            ["Tmq:Consumers:main:Kafka:group_id"] = "orders-svc",
        });
    }

    [Fact]
    public async Task Start_TmqSectionWithAMisspeltSectionOrAnUnreadConsumer_NamesThem()
    {
        var ex = await Assert.ThrowsAsync<TmqSettingsException>(() => StartAsync(new()
        {
            ["Tmq:Heath:Port"] = "0",
            ["Tmq:Consumers:mian:Topic"] = "orders",
        }));

        Assert.Contains(ex.Failures, f => f.StartsWith("Tmq:Heath is not a setting; the settings here are Service, Consumers, Producer, Health, Control, Owner.", StringComparison.Ordinal));
        Assert.Contains(ex.Failures, f => f.StartsWith("Tmq:Consumers:mian is read by no consumer; the consumers this service registers are main", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Start_ConsumerSectionMisspelt_IsOneSettingsErrorThatSaysWhatToRename()
    {
        // Consumer main has no section then, so its own settings fail too: both come as one error.
        var ex = await Assert.ThrowsAsync<TmqSettingsException>(() => StartAsync(new()
        {
            ["Tmq:Consumers:main:Topic"] = null,
            ["Tmq:Consumers:main:Kafka:bootstrap.servers"] = null,
            ["Tmq:Consumers:mian:Topic"] = "orders",
            ["Tmq:Consumers:mian:Kafka:bootstrap.servers"] = "127.0.0.1:9",
        }));

        Assert.StartsWith(
            "Tmq:Consumers:mian is read by no consumer; the consumers this service registers are main, and Tmq:Consumers:main is not set: rename Tmq:Consumers:mian to Tmq:Consumers:main",
            ex.Message,
            StringComparison.Ordinal);
        Assert.Contains(ex.Failures, f => f.StartsWith("Tmq:Consumers:main:Topic is empty; every consumer needs the topic it reads.", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Start_DurationAsABareNumber_IsRefusedRatherThanReadAsDays()
    {
        // The configuration binder reads "20" as 20 days; a revoke drain of 10 days would hold a rebalance.
        var ex = await Assert.ThrowsAsync<TmqSettingsException>(() => StartAsync(new() { ["Tmq:Consumers:main:RevokeDrainTimeout"] = "10" }));
        Assert.Contains("Tmq:Consumers:main:RevokeDrainTimeout is \"10\"; it must be a duration as hh:mm:ss", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Start_FetchLimitBelowLibrdkafkasFloor_NamesTheSetting()
    {
        var ex = await Assert.ThrowsAsync<TmqSettingsException>(() => StartAsync(new() { ["Tmq:Consumers:main:Kafka:fetch.max.bytes"] = "500" }));
        Assert.Contains("Tmq:Consumers:main:Kafka:fetch.max.bytes is 500; librdkafka needs it to be at least message.max.bytes", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Start_SecuritySettingLibrdkafkaRefuses_NamesTheConsumersKafkaSection()
    {
        // The dead-letter producer takes the consumer's security settings: its refusal must point there too.
        var ex = await Assert.ThrowsAnyAsync<Exception>(() => StartAsync(new() { ["Tmq:Consumers:main:Kafka:security.protocol"] = "bogus" }));
        Assert.Contains("security.protocol", ex.Message, StringComparison.Ordinal);
        Assert.Contains("Check Tmq:Consumers:main:Kafka", ex.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("Tmq:Producer", ex.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("bad topic", "Tmq:Consumers:main:Topic is \"bad topic\"; a Kafka topic name is 1 to 249 characters")]
    [InlineData("..", "Tmq:Consumers:main:Topic is \"..\"; a Kafka topic name is")]
    [InlineData("^orders-.*", "a regular expression subscription is not supported")]
    public async Task Start_TopicThatKafkaRefuses_NamesTheSetting(string topic, string expected)
    {
        var ex = await Assert.ThrowsAsync<TmqSettingsException>(() => StartAsync(new() { ["Tmq:Consumers:main:Topic"] = topic }));
        Assert.Contains(expected, ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Start_DeadLetterTopicThatKafkaRefuses_NamesTheSetting()
    {
        var explicitName = await Assert.ThrowsAsync<TmqSettingsException>(
            () => StartAsync(new() { ["Tmq:Consumers:main:DeadLetter:Topic"] = "bad dlq" }));
        Assert.Contains("Tmq:Consumers:main:DeadLetter:Topic is \"bad dlq\"; a Kafka topic name is", explicitName.Message, StringComparison.Ordinal);

        // The default dead-letter topic adds ".dlq": a topic of 246 characters or more leaves no room.
        var derived = await Assert.ThrowsAsync<TmqSettingsException>(
            () => StartAsync(new() { ["Tmq:Consumers:main:Topic"] = new string('t', 246) }));
        Assert.Contains("Tmq:Consumers:main:DeadLetter:Topic is not set, so it is the topic plus \".dlq\"", derived.Message, StringComparison.Ordinal);

        // With the Stop policy nothing is dead-lettered: the unused default name is no reason to refuse.
        using var stopping = Build(new() { ["Tmq:Consumers:main:Topic"] = new string('t', 246), ["Tmq:Consumers:main:Retry:OnExhausted"] = "Stop" });
        Assert.Equal(new string('t', 246), stopping.Services.GetRequiredService<IOptionsMonitor<KafkaConsumerOptions>>().Get("main").Topic);
    }

    [Fact]
    public async Task Start_PropertyLibrdkafkaDoesNotKnow_NamesTheKafkaSection()
    {
        var ex = await Assert.ThrowsAsync<TmqSettingsException>(
            () => StartAsync(new() { ["Tmq:Consumers:main:Kafka:no.such.prop"] = "1" }));
        Assert.Contains("no.such.prop", ex.Message, StringComparison.Ordinal);
        Assert.Contains("Check Tmq:Consumers:main:Kafka", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Start_Kip848WithClassicProtocolSettings_NamesEachAndWhereTheyComeFrom()
    {
        var ex = await Assert.ThrowsAsync<TmqSettingsException>(() => StartAsync(new()
        {
            ["Tmq:Consumers:main:Kafka:group.protocol"] = "consumer",
            ["Tmq:Consumers:main:Kafka:session.timeout.ms"] = "6000",
            ["Tmq:Consumers:main:Kafka:heartbeat_interval_ms"] = "1000",
        }));

        Assert.Contains("Tmq:Consumers:main:Kafka:session.timeout.ms is set, but group.protocol is consumer (KIP-848)", ex.Message, StringComparison.Ordinal);
        Assert.Contains("Tmq:Consumers:main:Kafka:heartbeat.interval.ms is set", ex.Message, StringComparison.Ordinal);
        Assert.Contains("appsettings.Development.json", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Start_HandlerThatCannotBeCreated_FailsAndTheHostDisposesPromptly()
    {
        var host = Build<HandlerWithAMissingDependency>(new() { ["Tmq:Consumers:main:ShutdownTimeout"] = "00:05:00" });

        var ex = await Assert.ThrowsAsync<InvalidOperationException>(() => host.StartAsync());
        Assert.Contains(nameof(IMissingService), ex.Message, StringComparison.Ordinal);

        // Nothing started, so nothing waits for a drain: the consumer built before the handler failed is released at once.
        var disposed = Task.Run(host.Dispose);
        Assert.Same(disposed, await Task.WhenAny(disposed, Task.Delay(TimeSpan.FromSeconds(30))));
    }

    private static async Task StartAsync(Dictionary<string, string?> settings)
    {
        using var host = Build(settings);
        await host.StartAsync();
        await host.StopAsync();
    }

    private static IHost Build(Dictionary<string, string?> settings) => Build<NoOpHandler>(settings);

    private static IHost Build<THandler>(Dictionary<string, string?> settings)
        where THandler : class, IMessageHandler
    {
        var builder = Host.CreateEmptyApplicationBuilder(new HostApplicationBuilderSettings());
        var config = new Dictionary<string, string?>
        {
            ["Tmq:Service"] = "tests.kafka.config",
            ["Tmq:Consumers:main:Topic"] = "orders",
            ["Tmq:Consumers:main:Kafka:bootstrap.servers"] = "127.0.0.1:9",
        };
        foreach (var (key, value) in settings)
        {
            config[key] = value;
        }

        // A null value removes a default: a key with a null value still makes its section exist.
        builder.Configuration.AddInMemoryCollection(config.Where(static pair => pair.Value is not null));
        builder.Services.AddTmqKafkaConsumer<THandler>();
        return builder.Build();
    }

    public interface IMissingService;

    private sealed class HandlerWithAMissingDependency(IMissingService missing) : IMessageHandler
    {
        public Task HandleAsync(TmqMessage message, CancellationToken cancellationToken) => Task.FromResult(missing);
    }

    private sealed class NoOpHandler : IMessageHandler
    {
        public Task HandleAsync(TmqMessage message, CancellationToken cancellationToken) => Task.CompletedTask;
    }
}
