using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Tmq.Control;
using Tmq.Telemetry;

namespace Tmq.Nsq.Control;

/// <summary>
/// Publishes this instance's status to the status topic every <see cref="ControlOptions.StatusInterval"/>,
/// and a last report marked stopping when the host stops. A report that cannot be published is
/// dropped (the next one replaces it) and said once per kind of failure.
/// </summary>
/// <remarks>
/// <para><b>Where.</b> The nsqd of <c>Tmq:Control:Nsq</c> or the first NSQ consumer, as the control
/// reader: the fixed nsqd, then those lookupd's <c>/nodes</c> lists (asked again every
/// LookupdPollInterval and after a failure). The producer publishes to one of them and fails over
/// to the next. The body is the report's JSON as it is (no envelope): NSQ has no key, and the
/// report names its instance.</para>
/// <para><b>Threads.</b> One task builds and publishes the reports, one at a time; stopping waits
/// for it, then publishes the last report within <see cref="StopTimeout"/>.</para>
/// </remarks>
internal sealed partial class NsqStatusPublisher(IServiceProvider services) : IHostedService, IAsyncDisposable
{
    /// <summary>How long the last report may take as the host stops: shutdown never waits on an unreachable nsqd.</summary>
    private static readonly TimeSpan StopTimeout = TimeSpan.FromSeconds(2);

    private readonly CancellationTokenSource _stopping = new();
    private RepeatedWarnings _warnings = new(TimeProvider.System);
    private StatusReporter? _reporter;
    private ILogger _logger = NullLogger.Instance;
    private TimeProvider _time = TimeProvider.System;
    private Task _loop = Task.CompletedTask;
    private string _topic = string.Empty;
    private bool _failing;
    private int _stopped;

    public Task StartAsync(CancellationToken cancellationToken)
    {
        var options = services.GetRequiredService<IOptions<NsqControlOptions>>().Value;
        if (options.StatusInterval <= TimeSpan.Zero)
        {
            return Task.CompletedTask;
        }

        _logger = services.GetService<ILoggerFactory>()?.CreateLogger("Tmq.Control") ?? NullLogger.Instance;
        if (services.GetService<TmqMetrics>() is null)
        {
            // The report is made of what consumers and producers tell TmqMetrics, which they register.
            NsqControlLog.StatusNothingToReport(_logger);
            return Task.CompletedTask;
        }

        _time = services.GetService<TimeProvider>() ?? TimeProvider.System;
        _warnings = new RepeatedWarnings(_time);
        _topic = options.StatusTopic;
        _reporter = new StatusReporter(services, options.StatusInterval);
        var settings = NsqControlSettings.Resolve(services, options, services.GetRequiredService<ControlApplier>());
        StartTargets(settings, string.IsNullOrEmpty(_reporter.Service) ? "tmq-status" : $"{_reporter.Service}-status");
        NsqControlLog.StatusStarted(_logger, _topic, options.StatusInterval.TotalSeconds, Source(settings));
        _loop = Task.Run(() => RunAsync(options.StatusInterval), CancellationToken.None);
        return Task.CompletedTask;
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        if (_reporter is null || Interlocked.Exchange(ref _stopped, 1) != 0)
        {
            return;
        }

        await _stopping.CancelAsync().ConfigureAwait(false);
        await _loop.ConfigureAwait(false);
        using var bound = new CancellationTokenSource(StopTimeout, _time);
        using var last = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, bound.Token);
        try
        {
            await PublishAsync(_reporter.Build(stopping: true), last.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            Warn($"the last report (stopping) to {_topic} was not published within {StopTimeout.TotalSeconds:0} s of shutdown.");
        }

        await CloseTargetsAsync().ConfigureAwait(false);
    }

    public async ValueTask DisposeAsync()
    {
        await StopAsync(CancellationToken.None).ConfigureAwait(false);
        await CloseTargetsAsync().ConfigureAwait(false);
        _http?.Dispose();
        _stopping.Dispose();
    }

    private async Task RunAsync(TimeSpan interval)
    {
        using var timer = new PeriodicTimer(interval, _time);
        try
        {
            do
            {
                await PublishAsync(_reporter!.Build(stopping: false), _stopping.Token).ConfigureAwait(false);
            }
            while (await timer.WaitForNextTickAsync(_stopping.Token).ConfigureAwait(false));
        }
        catch (OperationCanceledException) when (_stopping.IsCancellationRequested)
        {
            // Stopping: the last report follows.
        }
    }

    /// <summary>Publishes one report, or says why not; throws only when <paramref name="token"/> is cancelled.</summary>
    private async Task PublishAsync(InstanceStatus status, CancellationToken token)
    {
        if (await ProducerAsync(token).ConfigureAwait(false) is not { } producer)
        {
            return;
        }

        try
        {
            await producer.PublishAsync(_topic, status.Encode(), cancellationToken: token).ConfigureAwait(false);
        }
        catch (TmqProduceException e)
        {
            Failed();
            Warn($"a report to {_topic} was not published: {e.Message}");
            return;
        }

        if (_failing)
        {
            _failing = false;
            _warnings.Clear();
            NsqControlLog.StatusPublishedAgain(_logger, _topic);
        }
    }

    /// <summary>A report is dropped: says why, unless like the last said.</summary>
    private void Warn(string reason)
    {
        _failing = true;
        if (_warnings.Admit(reason, out var text))
        {
            NsqControlLog.StatusNotPublished(_logger, text);
        }
    }

    private static string Source(NsqControlSettings settings) => string.Join(" or ", new[]
    {
        settings.Nsqd.Count > 0 ? $"nsqd {string.Join(", ", settings.Nsqd)}" : null,
        settings.Lookupd.Count > 0 ? $"an nsqd nsqlookupd {string.Join(", ", settings.Lookupd)} lists" : null,
    }.OfType<string>());
}
