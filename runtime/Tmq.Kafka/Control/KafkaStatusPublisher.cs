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
/// Reports this instance's status to the status topic every <see cref="ControlOptions.StatusInterval"/>,
/// keyed by the instance, and a last report marked stopping when the host stops. A report that
/// cannot be delivered is dropped (the next one replaces it) and said once per kind of failure.
/// </summary>
internal sealed class KafkaStatusPublisher(IServiceProvider services) : IHostedService, IAsyncDisposable
{
    private readonly CancellationTokenSource _stopping = new();
    private readonly RepeatedLogFilter _repeats = new(TimeProvider.System);
    private StatusReporter? _reporter;
    private IProducer<byte[], byte[]>? _producer;
    private ILogger _logger = NullLogger.Instance;
    private Task _loop = Task.CompletedTask;
    private string _topic = string.Empty;

    public Task StartAsync(CancellationToken cancellationToken)
    {
        var options = services.GetRequiredService<IOptions<KafkaControlOptions>>().Value;
        if (options.StatusInterval <= TimeSpan.Zero)
        {
            return Task.CompletedTask;
        }

        _logger = services.GetService<ILoggerFactory>()?.CreateLogger("Tmq.Control") ?? NullLogger.Instance;
        _topic = options.StatusTopic;
        var config = new ProducerConfig();
        foreach (var (key, value) in KafkaControlConnection.Settings(services, options, services.GetRequiredService<ControlApplier>()))
        {
            config.Set(key, value);
        }

        _reporter = new StatusReporter(services, options.StatusInterval);
        config.ClientId = $"{_reporter.Service}-status";
        config.LingerMs = 0;
        config.MessageTimeoutMs = (int)Math.Max(5_000, options.StatusInterval.TotalMilliseconds * 2);
        _producer = new ProducerBuilder<byte[], byte[]>(config)
            .SetErrorHandler((_, error) => Report(error.Reason))
            .SetLogHandler((_, message) =>
            {
                if (LibrdkafkaLog.Level(message.Level) >= LogLevel.Warning)
                {
                    Report(message.Message);
                }
            })
            .Build();
        var time = services.GetService<TimeProvider>() ?? TimeProvider.System;
        _loop = RunAsync(options.StatusInterval, time);
        return Task.CompletedTask;
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        if (_producer is null || _reporter is null || _stopping.IsCancellationRequested)
        {
            return;
        }

        await _stopping.CancelAsync().ConfigureAwait(false);
        await _loop.ConfigureAwait(false);
        Send(_reporter.Build(stopping: true));
        await Task.Run(() => _producer.Flush(TimeSpan.FromSeconds(2)), CancellationToken.None).ConfigureAwait(false);
    }

    public async ValueTask DisposeAsync()
    {
        await StopAsync(CancellationToken.None).ConfigureAwait(false);
        _producer?.Dispose();
        _stopping.Dispose();
    }

    private async Task RunAsync(TimeSpan interval, TimeProvider time)
    {
        using var timer = new PeriodicTimer(interval, time);
        try
        {
            do
            {
                Send(_reporter!.Build(stopping: false));
            }
            while (await timer.WaitForNextTickAsync(_stopping.Token).ConfigureAwait(false));
        }
        catch (OperationCanceledException)
        {
            // Stopping: the last report follows.
        }
    }

    private void Send(InstanceStatus status)
    {
        try
        {
            _producer!.Produce(_topic, new Message<byte[], byte[]> { Key = Encoding.UTF8.GetBytes(status.Instance), Value = status.Encode() }, report =>
            {
                if (report.Error.IsError)
                {
                    Report($"a status report to {_topic} was not delivered: {report.Error.Reason}");
                }
            });
        }
        catch (ProduceException<byte[], byte[]> e)
        {
            Report($"a status report to {_topic} was not sent: {e.Error.Reason}");
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
