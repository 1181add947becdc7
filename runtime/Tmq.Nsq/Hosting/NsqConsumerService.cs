using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Tmq.Dispatch;
using Tmq.Hosting;
using Tmq.Nsq.Connection;
using Tmq.Nsq.Consumer;
using Tmq.Nsq.DeadLetter;
using Tmq.Nsq.Discovery;
using Tmq.Telemetry;

namespace Tmq.Nsq.Hosting;

/// <summary>
/// One named NSQ consumer as a hosted service: builds the engine, the consumer and the dead-letter
/// producer at start; on stop the consumer sends RDY 0 and CLS, hands back what has not started,
/// lets running handlers finish within ShutdownTimeout, and closes.
/// </summary>
internal sealed class NsqConsumerService : IHostedService, IAsyncDisposable
{
    private readonly string _name;
    private readonly Func<IServiceProvider, IMessageHandler> _handlerFactory;
    private readonly IServiceProvider _services;
    private NsqConsumerOptions? _current;
    private DispatchEngine? _engine;
    private NsqConsumer? _consumer;
    private NsqProducer? _deadLetterProducer;
    private HttpClient? _http;
    private IDisposable? _optionsChanges;
    private IDisposable? _rejectedChanges;
    private IDisposable? _gauges;

    public NsqConsumerService(string name, Func<IServiceProvider, IMessageHandler> handlerFactory, IServiceProvider services)
    {
        _name = name;
        _handlerFactory = handlerFactory;
        _services = services;
    }

    public Task StartAsync(CancellationToken cancellationToken)
    {
        var monitor = _services.GetRequiredService<IOptionsMonitor<NsqConsumerOptions>>();
        var options = monitor.Get(_name);
        _current = options;
        var service = _services.GetRequiredService<IOptions<TmqOptions>>().Value.Service;
        var channel = string.IsNullOrWhiteSpace(options.Channel) ? service : options.Channel;
        if (string.IsNullOrWhiteSpace(channel) || !NsqNames.IsValid(channel))
        {
            var path = ConsumerOptionsValidator.ConsumerPath(_name);
            throw new TmqSettingsException(
                _name,
                typeof(NsqConsumerOptions),
                string.IsNullOrWhiteSpace(channel)
                    ? $"Consumer {_name} has no channel: Tmq:Service is empty and {path}:Channel is not set. Set Tmq:Service to the service's PSM (e.g. \"shop.orders.consumer\"), which is also the default channel."
                    : $"Consumer {_name}'s channel defaults to Tmq:Service, \"{channel}\", which is not an NSQ channel name ({NsqNames.Rule}). Set {path}:Channel.");
        }

        var clientId = string.IsNullOrWhiteSpace(service) ? $"tmq-{_name}" : service;
        var loggerFactory = _services.GetService<ILoggerFactory>() ?? NullLoggerFactory.Instance;
        var logger = loggerFactory.CreateLogger($"Tmq.Nsq.Consumer.{_name}");
        var metrics = _services.GetRequiredService<TmqMetrics>();
        var time = _services.GetService<TimeProvider>() ?? TimeProvider.System;
        var nsq = options.Nsq;
        var status = _services.GetRequiredKeyedService<ConsumerStatus>(_name);
        status.Partitioned = false;
        status.DeadLetterTopic = options.DeadLetter.ResolveTopic(options.Topic);
        if (nsq.Lookupd.Count > 0 || nsq.DepthPollInterval > TimeSpan.Zero)
        {
            // lookupd's /lookup and nsqd's /stats: both short GETs, both bounded by the same timeout.
            _http = new HttpClient { Timeout = NsqDefaults.LookupdTimeout };
        }

        _deadLetterProducer = new NsqProducer(DeadLetterProducerOptions(nsq), clientId, loggerFactory.CreateLogger("Tmq.Nsq.DeadLetter"), metrics, time);
        _consumer = new NsqConsumer(new NsqConsumerSetup
        {
            Name = _name,
            Channel = channel,
            Options = options,
            LiveOptions = () => _current,
            Connection = NsqConnectionFactory.Settings(nsq, clientId, nsq.MsgTimeout, logger, time),
            Logger = logger,
            Metrics = metrics,
            Status = status,
            TimeProvider = time,
            Lookupd = nsq.Lookupd.Count == 0 ? null : new LookupdClient(_http!),
            Stats = nsq.DepthPollInterval > TimeSpan.Zero ? _http : null,
        });
        _engine = new DispatchEngine(new EngineSettings
        {
            Name = _name,
            Handler = _handlerFactory(_services),
            DeadLetters = new NsqDeadLetterSink(_deadLetterProducer, nsq.MaxMessageBytes),
            Transport = _consumer,
            Options = () => _current,
            Group = channel,
            MessagingSystem = "nsq",
            RequeueRetry = _consumer.RequeueRetry,
            CommitsPositions = false,
            TimeProvider = time,
            Logger = logger,
            Metrics = metrics,
        });

        _optionsChanges = LiveConsumerOptions.Watch(monitor, _name, logger, () => _current, changed => _current = changed, _engine, _consumer.OptionsChanged);
        _rejectedChanges = LiveOptionsWatch.Start<NsqConsumerOptions>(_services, _name, logger);
        _engine.Start();
        _consumer.Start(_engine);
        // After Start: the engine's outcomes are known from then. Anything counted before is kept: adding 0 changes nothing.
        _gauges = metrics.Register(_consumer);
        var source = string.Join(" and ", new[]
        {
            nsq.Nsqd.Count > 0 ? $"nsqd {string.Join(", ", nsq.Nsqd)}" : null,
            nsq.Lookupd.Count > 0 ? $"what nsqlookupd {string.Join(", ", nsq.Lookupd)} lists" : null,
        }.OfType<string>());
        NsqConsumerLog.Started(logger, _name, options.Topic, channel, source, nsq.MaxInFlight);
        return Task.CompletedTask;
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        if (_consumer is null)
        {
            return;
        }

        try
        {
            await _consumer.StopAsync().WaitAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // The host's shutdown timeout passed. Messages not yet FINed are redelivered by nsqd after their timeout.
        }
    }

    public async ValueTask DisposeAsync()
    {
        _optionsChanges?.Dispose();
        _rejectedChanges?.Dispose();
        _gauges?.Dispose();
        if (Interlocked.Exchange(ref _consumer, null) is { } consumer)
        {
            await consumer.DisposeAsync().ConfigureAwait(false);
        }

        if (Interlocked.Exchange(ref _deadLetterProducer, null) is { } producer)
        {
            await producer.DisposeAsync().ConfigureAwait(false);
        }

        Interlocked.Exchange(ref _engine, null)?.Dispose();
        _http?.Dispose();
    }

    /// <summary>The dead-letter producer reaches the consumer's nsqd with the consumer's TLS, compression and AUTH settings.</summary>
    private static NsqProducerOptions DeadLetterProducerOptions(NsqConsumerSettings nsq)
    {
        var producer = new NsqProducerOptions
        {
            Nsqd = [.. nsq.Nsqd],
            HeartbeatInterval = nsq.HeartbeatInterval,
            Tls = nsq.Tls,
            TlsCaFile = nsq.TlsCaFile,
            TlsCertFile = nsq.TlsCertFile,
            TlsKeyFile = nsq.TlsKeyFile,
            Snappy = nsq.Snappy,
            Deflate = nsq.Deflate,
            DeflateLevel = nsq.DeflateLevel,
            AuthSecret = nsq.AuthSecret,
            ConnectTimeout = nsq.ConnectTimeout,
            MaxMessageBytes = nsq.MaxMessageBytes,
        };
        return producer;
    }
}
