using System.Security.Cryptography;
using System.Threading.Channels;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Tmq.Control;
using Tmq.Nsq.Connection;
using Tmq.Nsq.Discovery;
using Tmq.Nsq.Protocol;

namespace Tmq.Nsq.Control;

/// <summary>
/// Reads the control topic on every nsqd, on an ephemeral channel of this instance's own (every
/// instance needs every message), and hands each message to the <see cref="ControlApplier"/>. It
/// uses the NSQ connection directly: control messages never enter the dispatch engine and are not
/// counted as the consumers' messages.
/// </summary>
/// <remarks>
/// <para><b>Start-up.</b> NSQ keeps nothing for a channel that does not exist yet, so there is no
/// backlog to catch up on; start-up waits (up to <see cref="ControlOptions.StartupTimeout"/>) only
/// until it is subscribed on the nsqd known then, and it is registered ahead of the consumers, so a
/// message published once the service has started reaches it.</para>
/// <para><b>Discovery.</b> Fixed nsqd are read as they are. Through lookupd, the control topic may
/// exist on no nsqd yet (nothing was ever published), so <c>/lookup</c> would find nothing: every
/// nsqd lookupd lists in <c>/nodes</c> is subscribed (SUB creates the topic and channel there), and
/// <c>/nodes</c> is asked again every LookupdPollInterval and when a connection drops.</para>
/// <para><b>Threads.</b> Connections' read loops only queue messages; one task applies them in the
/// order they came and finishes each (FIN) whether it applied or not: a control message is never
/// requeued.</para>
/// </remarks>
internal sealed partial class NsqControlListener(IServiceProvider services) : IHostedService, IAsyncDisposable
{
    /// <summary>How long each step of shutdown (applying what has arrived, closing the connections) may take: FIN flushing is bounded by less.</summary>
    private static readonly TimeSpan StopTimeout = TimeSpan.FromSeconds(5);

    private readonly CancellationTokenSource _stopping = new();
    private readonly Channel<(NsqConnection Connection, NsqMessageFrame Message)> _deliveries =
        System.Threading.Channels.Channel.CreateUnbounded<(NsqConnection, NsqMessageFrame)>(new UnboundedChannelOptions { SingleReader = true });

    private ILogger _logger = NullLogger.Instance;
    private NsqControlSetup? _setup;
    private Task _applying = Task.CompletedTask;
    private int _stopped;

    /// <summary>This instance's channel on the control topic; set at start.</summary>
    internal string? Channel => _setup?.Channel;

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        var options = services.GetRequiredService<IOptions<NsqControlOptions>>().Value;
        var applier = services.GetRequiredService<ControlApplier>();
        _logger = services.GetService<ILoggerFactory>()?.CreateLogger("Tmq.Control") ?? NullLogger.Instance;
        var time = services.GetService<TimeProvider>() ?? TimeProvider.System;
        var settings = NsqControlSettings.Resolve(services, options, applier);
        var clientId = string.IsNullOrEmpty(applier.Service) ? "tmq-control" : $"{applier.Service}-control";
        _setup = new NsqControlSetup
        {
            Topic = options.Topic,
            Channel = ChannelName(applier.Service, RandomNumberGenerator.GetHexString(12, lowercase: true)),
            Settings = settings,
            Connection = NsqConnectionFactory.Settings(settings, clientId, msgTimeout: null, _logger, time),
            Logger = _logger,
            TimeProvider = time,
            Random = Random.Shared.NextDouble,
            Deliver = (connection, message) => _deliveries.Writer.TryWrite((connection, message)),
            Repoll = Repoll,
            Left = Forget,
        };

        _applying = Task.Run(() => ApplyAsync(applier, options.Topic), CancellationToken.None);
        StartDiscovery(_setup);
        NsqControlLog.Started(_logger, options.Topic, _setup.Channel, Source(settings));
        if (options.StartupTimeout <= TimeSpan.Zero)
        {
            return;
        }

        try
        {
            await FirstSubscriptionsAsync().WaitAsync(options.StartupTimeout, time, cancellationToken).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
            var missing = string.Join(", ", Subscriptions().Where(static s => !s.IsSubscribed).Select(static s => s.Address.ToString()));
            NsqControlLog.NotSubscribed(_logger, options.Topic, options.StartupTimeout.TotalSeconds, missing.Length > 0 ? missing : "lookupd did not answer");
        }
    }

    /// <summary>
    /// Stops: CLS on every connection (nsqd sends no more), applies and finishes what has arrived,
    /// then closes the connections after their last FIN is written.
    /// </summary>
    public async Task StopAsync(CancellationToken cancellationToken)
    {
        if (Interlocked.Exchange(ref _stopped, 1) != 0)
        {
            return;
        }

        foreach (var subscription in Subscriptions())
        {
            subscription.Connection?.StartClose();
        }

        _deliveries.Writer.TryComplete();
        await Bounded(_applying).ConfigureAwait(false);
        await _stopping.CancelAsync().ConfigureAwait(false);
        await Bounded(Task.WhenAll(Subscriptions().Select(static s => s.Loop).Append(_discovery))).ConfigureAwait(false);
    }

    public async ValueTask DisposeAsync()
    {
        await StopAsync(CancellationToken.None).ConfigureAwait(false);
        _stopping.Dispose();
        _http?.Dispose();
    }

    /// <summary>Waits for <paramref name="task"/> at most <see cref="StopTimeout"/>: shutdown never hangs on an nsqd.</summary>
    private async Task Bounded(Task task)
    {
        try
        {
            await task.WaitAsync(StopTimeout, _setup?.TimeProvider ?? TimeProvider.System).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
            // An nsqd that does not take the last FINs in time: the socket is closed regardless.
        }
    }

    private async Task ApplyAsync(ControlApplier applier, string topic)
    {
        await foreach (var (connection, frame) in _deliveries.Reader.ReadAllAsync().ConfigureAwait(false))
        {
            var origin = $"nsqd {connection.Address} {topic} id {frame.IdString}";
            try
            {
                if (ControlMessage.TryDecode(frame.Body.Span, out var message, out var error))
                {
                    applier.Apply(message!.Key, message, origin);
                }
                else
                {
                    applier.Reject(origin, error);
                }
            }
            catch (Exception e) when (e is not OutOfMemoryException)
            {
                // Applying signals the consumers' options monitors, whose listeners run here: one
                // that throws must not stop the reader.
                NsqControlLog.ApplyFailed(_logger, e, origin);
            }
            finally
            {
                connection.Finish(frame.Id);
            }
        }
    }

    /// <summary>
    /// <c>&lt;service&gt;-&lt;hex&gt;#ephemeral</c>: the service's name for whoever reads nsqd's stats,
    /// made of the characters NSQ allows and cut so that the whole fits NSQ's 64 characters.
    /// </summary>
    internal static string ChannelName(string service, string hex)
    {
        var stem = new string([.. service.Select(static c => char.IsAsciiLetterOrDigit(c) || c is '.' or '_' or '-' ? c : '_')]);
        if (stem.Length == 0)
        {
            stem = "tmq-control";
        }

        var room = NsqNames.MaxLength - NsqNames.EphemeralSuffix.Length - 1 - hex.Length;
        return $"{(stem.Length > room ? stem[..room] : stem)}-{hex}{NsqNames.EphemeralSuffix}";
    }

    private static string Source(NsqControlSettings settings) => string.Join(" and ", new[]
    {
        settings.Nsqd.Count > 0 ? $"nsqd {string.Join(", ", settings.Nsqd)}" : null,
        settings.Lookupd.Count > 0 ? $"every nsqd nsqlookupd {string.Join(", ", settings.Lookupd)} lists" : null,
    }.OfType<string>());
}
