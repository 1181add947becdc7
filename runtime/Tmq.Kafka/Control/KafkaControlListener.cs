using System.Text;
using Confluent.Kafka;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Tmq.Control;

namespace Tmq.Kafka;

/// <summary>
/// Reads the control topic in full on every instance, without a consumer group (each instance
/// needs every message, and joining a group would rebalance the fleet), from the beginning at
/// start-up and then as messages come, and hands each to the <see cref="ControlApplier"/>. The
/// topic is compacted (tmqtool creates it so), so the beginning is the latest state per address.
/// </summary>
/// <remarks>
/// Start-up waits (up to <see cref="ControlOptions.StartupTimeout"/>) until every partition has
/// been read to its end, and is registered ahead of the consumers, so that an instance told to
/// pause does not consume between its start and reading that. A missing topic is looked for again
/// every <see cref="MissingTopicRetry"/>: nothing was ever sent, and the first message creates it.
/// </remarks>
internal sealed partial class KafkaControlListener(IServiceProvider services) : IHostedService, IAsyncDisposable
{
    /// <summary>How often a missing control topic is looked for (once found, its partition count is checked every 5 minutes).</summary>
    internal static readonly TimeSpan MissingTopicRetry = TimeSpan.FromSeconds(2);

    private readonly CancellationTokenSource _stopping = new();
    private readonly TaskCompletionSource _caughtUp = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly RepeatedLogFilter _repeats = new(TimeProvider.System);
    private ILogger _logger = NullLogger.Instance;
    private Thread? _thread;

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        var options = services.GetRequiredService<IOptions<KafkaControlOptions>>().Value;
        _logger = services.GetService<ILoggerFactory>()?.CreateLogger("Tmq.Control") ?? NullLogger.Instance;
        var applier = services.GetRequiredService<ControlApplier>();
        var config = Config(options, applier);
        _thread = new Thread(() => Run(config, options.Topic, applier)) { IsBackground = true, Name = "tmq-control" };
        _thread.Start();
        try
        {
            await _caughtUp.Task.WaitAsync(options.StartupTimeout, cancellationToken).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
            KafkaControlLog.NotCaughtUp(_logger, options.Topic, options.StartupTimeout.TotalSeconds);
        }
    }

    public Task StopAsync(CancellationToken cancellationToken)
    {
        _stopping.Cancel();
        return Task.Run(() => _thread?.Join(TimeSpan.FromSeconds(10)), CancellationToken.None);
    }

    public async ValueTask DisposeAsync()
    {
        await StopAsync(CancellationToken.None).ConfigureAwait(false);
        _stopping.Dispose();
    }

    private ConsumerConfig Config(KafkaControlOptions options, ControlApplier applier)
    {
        var config = new ConsumerConfig();
        foreach (var (key, value) in KafkaControlConnection.Settings(services, options, applier))
        {
            config.Set(key, value);
        }

        config.ClientId = string.IsNullOrEmpty(applier.Service) ? "tmq-control" : $"{applier.Service}-control";

        // Confluent.Kafka wants a group id; partitions are assigned, never subscribed, so the group is
        // never joined and nothing is committed. Its own id keeps it apart from every real group.
        config.GroupId = $"{config.ClientId}-{Guid.NewGuid():N}";
        config.EnableAutoCommit = false;
        config.EnableAutoOffsetStore = false;
        config.EnablePartitionEof = true;
        config.AutoOffsetReset = AutoOffsetReset.Earliest;
        config.AllowAutoCreateTopics = false;
        return config;
    }

    private void Run(ConsumerConfig config, string topic, ControlApplier applier)
    {
        var token = _stopping.Token;
        try
        {
            using var consumer = new ConsumerBuilder<byte[]?, byte[]?>(config)
                .SetErrorHandler((_, error) => Report(error.Reason))
                .SetLogHandler((_, message) =>
                {
                    if (LibrdkafkaLog.Level(message.Level) >= LogLevel.Warning)
                    {
                        Report(message.Message);
                    }
                })
                .Build();
            using var admin = new DependentAdminClientBuilder(consumer.Handle).Build();
            var partitions = 0;
            var atEnd = new HashSet<int>();
            var nextCheck = DateTime.MinValue;
            while (!token.IsCancellationRequested)
            {
                if (DateTime.UtcNow >= nextCheck)
                {
                    nextCheck = DateTime.UtcNow + (partitions == 0 ? MissingTopicRetry : TimeSpan.FromMinutes(5));
                    var count = PartitionCount(admin, topic);
                    if (count > partitions)
                    {
                        consumer.IncrementalAssign(Enumerable.Range(partitions, count - partitions).Select(p => new TopicPartitionOffset(topic, p, Offset.Beginning)));
                        partitions = count;
                    }
                    else if (count == 0)
                    {
                        // No topic: nothing was ever sent, so there is nothing to wait for.
                        _caughtUp.TrySetResult();
                        token.WaitHandle.WaitOne(MissingTopicRetry);
                        continue;
                    }
                }

                ConsumeResult<byte[]?, byte[]?>? result;
                try
                {
                    result = consumer.Consume(TimeSpan.FromMilliseconds(500));
                }
                catch (ConsumeException e)
                {
                    Report(e.Error.Reason);
                    continue;
                }

                if (result is null)
                {
                    continue;
                }

                if (result.IsPartitionEOF)
                {
                    atEnd.Add(result.Partition.Value);
                    if (atEnd.Count >= partitions)
                    {
                        _caughtUp.TrySetResult();
                    }

                    continue;
                }

                Handle(result, topic, applier);
            }

            consumer.Close();
        }
        catch (Exception e) when (e is KafkaException or ArgumentException or InvalidOperationException or TmqSettingsException)
        {
            KafkaControlLog.Failed(_logger, e, topic, e.Message);
            _caughtUp.TrySetResult();
        }
    }

    private static void Handle(ConsumeResult<byte[]?, byte[]?> result, string topic, ControlApplier applier)
    {
        var origin = $"{topic}[{result.Partition.Value}]@{result.Offset.Value}";
        var key = result.Message.Key is { } k ? Encoding.UTF8.GetString(k) : null;
        if (result.Message.Value is not { } value)
        {
            if (key is null)
            {
                applier.Reject(origin, "it has neither key nor value");
            }
            else
            {
                applier.Apply(key, null, origin);
            }

            return;
        }

        if (!ControlMessage.TryDecode(value, out var message, out var error))
        {
            applier.Reject(origin, error);
            return;
        }

        applier.Apply(key ?? message!.Key, message, origin);
    }

    private static int PartitionCount(IAdminClient admin, string topic)
    {
        try
        {
            // Every topic's metadata: a request naming the topic can make a broker create it, uncompacted.
            var metadata = admin.GetMetadata(TimeSpan.FromSeconds(5));
            var found = metadata.Topics.FirstOrDefault(t => t.Topic == topic);
            return found is null || found.Error.IsError ? 0 : found.Partitions.Count;
        }
        catch (KafkaException)
        {
            return 0;
        }
    }

    private void Report(string reason)
    {
        if (_repeats.Admit(LogLevel.Warning, reason, out var text))
        {
            KafkaControlLog.ClientError(_logger, text);
        }
    }
}

/// <summary>Log events of the Kafka control reader (event ids 2300-2309).</summary>
internal static partial class KafkaControlLog
{
    [LoggerMessage(2300, LogLevel.Warning, "The control topic {Topic} was not read to its end within {Seconds:0.#} s of start-up; the consumers start with appsettings.json, and control settings apply when read.")]
    public static partial void NotCaughtUp(ILogger logger, string topic, double seconds);

    [LoggerMessage(2301, LogLevel.Error, "The control reader of topic {Topic} stopped ({Reason}); control messages are not applied until the service restarts.")]
    public static partial void Failed(ILogger logger, Exception exception, string topic, string reason);

    [LoggerMessage(2302, LogLevel.Warning, "Control reader: {Reason}")]
    public static partial void ClientError(ILogger logger, string reason);
}
