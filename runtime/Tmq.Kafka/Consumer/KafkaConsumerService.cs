using System.Diagnostics;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Tmq.Dispatch;
using Tmq.Hosting;
using Tmq.Telemetry;

namespace Tmq.Kafka;

/// <summary>
/// One named Kafka consumer as a hosted service: builds the engine, the poll loop and the
/// dead-letter producer at start, and on stop lets the loop drain, commit and leave the group.
/// </summary>
internal sealed class KafkaConsumerService : IHostedService, IAsyncDisposable
{
    private readonly string _name;
    private readonly Func<IServiceProvider, IMessageHandler> _handlerFactory;
    private readonly IServiceProvider _services;
    private KafkaConsumerOptions? _current;
    private DispatchEngine? _engine;
    private KafkaConsumerLoop? _loop;
    private KafkaProducer? _deadLetterProducer;
    private IDisposable? _optionsChanges;
    private IDisposable? _rejectedChanges;
    private IDisposable? _gauges;
    private ILogger? _logger;
    private long _stopRequested;

    /// <summary>
    /// How long past ShutdownTimeout disposal waits for the poll thread before abandoning the
    /// client: the commit retries and leaving the group take up to 5 s each. With the default
    /// ShutdownTimeout (20 s) the process can exit within the 30 s a container is usually given.
    /// </summary>
    private static readonly TimeSpan AbandonGrace = TimeSpan.FromSeconds(10);

    public KafkaConsumerService(string name, Func<IServiceProvider, IMessageHandler> handlerFactory, IServiceProvider services)
    {
        _name = name;
        _handlerFactory = handlerFactory;
        _services = services;
    }

    public Task StartAsync(CancellationToken cancellationToken)
    {
        var monitor = _services.GetRequiredService<IOptionsMonitor<KafkaConsumerOptions>>();
        var options = monitor.Get(_name);
        _current = options;
        var service = _services.GetRequiredService<IOptions<TmqOptions>>().Value.Service;
        var group = string.IsNullOrWhiteSpace(options.Group) ? service : options.Group;
        if (string.IsNullOrWhiteSpace(group))
        {
            throw new TmqSettingsException(
                _name,
                typeof(KafkaConsumerOptions),
                $"Consumer {_name} has no consumer group: Tmq:Service is empty and {ConsumerOptionsValidator.ConsumerPath(_name)}:Group is not set. Set Tmq:Service to the service's PSM (e.g. \"shop.orders.consumer\"), which is also the default group.");
        }

        var clientId = string.IsNullOrWhiteSpace(service) ? $"tmq-{_name}" : service;
        var loggerFactory = _services.GetService<ILoggerFactory>() ?? NullLoggerFactory.Instance;
        var logger = loggerFactory.CreateLogger($"Tmq.Kafka.Consumer.{_name}");
        _logger = logger;
        var metrics = _services.GetRequiredService<TmqMetrics>();
        var time = _services.GetService<TimeProvider>() ?? TimeProvider.System;
        var config = KafkaConsumerConfig.Build(options, group, clientId);
        _services.GetRequiredKeyedService<ConsumerStatus>(_name).DeadLetterTopic = options.DeadLetter.ResolveTopic(options.Topic);

        // The consumer first: building it is where librdkafka checks the settings, and a refusal
        // should be the first thing logged, not the dead-letter producer failing to connect.
        var loop = new KafkaConsumerLoop(new KafkaConsumerLoopSettings
        {
            Name = _name,
            Group = group,
            Config = config,
            Options = options,
            LiveOptions = () => _current,
            Logger = logger,
            Metrics = metrics,
            Status = _services.GetRequiredKeyedService<ConsumerStatus>(_name),
            Listener = _services.GetKeyedService<IRebalanceListener>(_name) ?? _services.GetService<IRebalanceListener>(),
            TimeProvider = time,
            OnFatal = () =>
            {
                Environment.ExitCode = 1;
                try
                {
                    _services.GetService<IHostApplicationLifetime>()?.StopApplication();
                }
                catch (ObjectDisposedException)
                {
                    // The host is gone already.
                }
            },
        });

        // Until the loop starts, a failure here must release what was built: DisposeAsync waits for
        // a started loop to finish its drain, and an unstarted one never would.
        try
        {
            _deadLetterProducer = new KafkaProducer(
                DeadLetterProducerOptions(options),
                loggerFactory.CreateLogger("Tmq.Kafka.DeadLetter"),
                service,
                metrics,
                $"{ConsumerOptionsValidator.ConsumerPath(_name)}:Kafka (consumer {_name}'s dead-letter producer takes its security, sasl, ssl and socket settings)");
            _engine = new DispatchEngine(new EngineSettings
            {
                Name = _name,
                Handler = _handlerFactory(_services),
                DeadLetters = new KafkaDeadLetterSink(_deadLetterProducer),
                Transport = loop,
                Options = () => _current,
                Group = group,
                MessagingSystem = "kafka",
                TimeProvider = time,
                Logger = logger,
                Metrics = metrics,
            });
        }
        catch
        {
            loop.Dispose();
            Interlocked.Exchange(ref _deadLetterProducer, null)?.Dispose();
            throw;
        }

        _loop = loop;

        _optionsChanges = LiveConsumerOptions.Watch(monitor, _name, logger, () => _current, changed => _current = changed, _engine, _loop.OptionsChanged);
        _rejectedChanges = LiveOptionsWatch.Start<KafkaConsumerOptions>(_services, _name, logger);
        _engine.Start();
        _loop.Start(_engine);
        // After Start: the engine's outcomes are known from then. Anything counted before is kept: adding 0 changes nothing.
        _gauges = metrics.Register(_loop);
        KafkaConsumerLog.Started(logger, _name, options.Topic, group, KafkaConfigRedaction.Describe(config));
        return Task.CompletedTask;
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        if (_loop is null)
        {
            return;
        }

        RequestStop(_loop);
        try
        {
            await _loop.Completion.WaitAsync(cancellationToken);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // The host's shutdown timeout passed: stop waiting, as the host asks. The poll thread
            // goes on leaving the group in the background; work not yet committed is redelivered.
            KafkaConsumerLog.ShutdownOverran(_logger!, _name);
        }
    }

    public async ValueTask DisposeAsync()
    {
        _optionsChanges?.Dispose();
        _rejectedChanges?.Dispose();
        _gauges?.Dispose();
        if (Interlocked.Exchange(ref _loop, null) is { } loop)
        {
            RequestStop(loop);

            // The loop's own steps are bounded (drain by ShutdownTimeout, commit retries and
            // leaving by 5 s each), but a call into librdkafka can block for good. Then the
            // client is left alone: destroying it would block this thread too, and the host's
            // exit with it.
            var bound = (_current?.ShutdownTimeout ?? TimeSpan.Zero) + AbandonGrace;
            var left = bound - Stopwatch.GetElapsedTime(_stopRequested);
            try
            {
                await loop.Completion.WaitAsync(left > TimeSpan.Zero ? left : TimeSpan.Zero);
                loop.Dispose();
            }
            catch (TimeoutException)
            {
                loop.Abandon();
                KafkaConsumerLog.Abandoned(_logger!, _name, bound.TotalSeconds);
            }
        }

        Interlocked.Exchange(ref _deadLetterProducer, null)?.Dispose();
        Interlocked.Exchange(ref _engine, null)?.Dispose();
    }

    private void RequestStop(KafkaConsumerLoop loop)
    {
        if (Interlocked.CompareExchange(ref _stopRequested, Stopwatch.GetTimestamp(), 0) == 0)
        {
            loop.RequestStop();
        }
    }

    /// <summary>
    /// A dead letter carries the original value, which may be larger than a producer's 1 MB default
    /// limit: the consumer reads such messages without any setting. The client does not refuse it,
    /// so the dead-letter topic's own limit decides (a write it refuses is retried, and logged with
    /// the reason, while the original stays uncommitted).
    /// </summary>
    private const string DeadLetterMessageMaxBytes = "100000000";

    /// <summary>The dead-letter producer talks to the same cluster as the consumer, with the same credentials.</summary>
    private static KafkaProducerOptions DeadLetterProducerOptions(KafkaConsumerOptions options)
    {
        var settings = KafkaConsumerConfig.Normalize(options.Kafka);
        var producer = new KafkaProducerOptions { BootstrapServers = settings["bootstrap.servers"] };
        producer.Kafka["message.max.bytes"] = DeadLetterMessageMaxBytes;
        foreach (var (key, value) in settings)
        {
            if (key != "bootstrap.servers" && KafkaConsumerConfig.IsConnectionSetting(key))
            {
                producer.Kafka[key] = value;
            }
        }

        return producer;
    }
}
