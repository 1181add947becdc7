using Microsoft.Extensions.Logging.Abstractions;
using Tmq.Nsq.Discovery;

namespace Tmq.Nsq.Control;

// Which nsqd to publish to: the fixed ones, then those lookupd's /nodes lists; the producer fails over between them.
internal sealed partial class NsqStatusPublisher
{
    private readonly Dictionary<Uri, IReadOnlyList<NsqAddress>> _listed = [];
    private NsqControlSettings _settings = new();
    private string _clientId = string.Empty;
    private Uri[] _lookupds = [];
    private LookupdClient? _lookupd;
    private HttpClient? _http;
    private NsqProducer? _producer;
    private NsqAddress[] _targets = [];
    private long _askedAt;
    private bool _askAgain = true;

    private void StartTargets(NsqControlSettings settings, string clientId)
    {
        _settings = settings;
        _clientId = clientId;
        _lookupds = [.. settings.Lookupd.Select(static t => NsqAddress.TryParseLookupd(t, out var uri) ? uri : null).OfType<Uri>()];
        if (_lookupds.Length > 0)
        {
            _http = new HttpClient { Timeout = NsqDefaults.LookupdTimeout };
            _lookupd = new LookupdClient(_http);
        }
    }

    /// <summary>A publish failed: the nsqd lookupd lists may have changed.</summary>
    private void Failed() => _askAgain = true;

    /// <summary>The producer for the nsqd known now, or null (said) when there is none.</summary>
    private async Task<NsqProducer?> ProducerAsync(CancellationToken token)
    {
        if (_lookupd is not null && (_askAgain || _time.GetElapsedTime(_askedAt) >= _settings.LookupdPollInterval))
        {
            await AskLookupdAsync(_lookupd, token).ConfigureAwait(false);
        }

        var targets = _settings.Nsqd.Select(static t => NsqAddress.TryParse(t, out var a) ? (NsqAddress?)a : null).OfType<NsqAddress>()
            .Concat(_listed.Values.SelectMany(static a => a))
            .Distinct()
            .ToArray();
        if (targets.Length == 0)
        {
            // A real nsqd registers with lookupd a moment after it starts.
            _askAgain = true;
            Warn($"no nsqd to publish to {_topic}: nsqlookupd {string.Join(", ", _settings.Lookupd)} lists none, or has not answered.");
            return null;
        }

        if (_producer is null || !targets.SequenceEqual(_targets))
        {
            await CloseTargetsAsync().ConfigureAwait(false);

            // No logger: its failover warnings would come again every interval while nsqd is down;
            // a failed report is said here, held back when like the last. No metrics: reports are
            // not the service's messages.
            _producer = new NsqProducer(ProducerOptions(targets), _clientId, NullLogger.Instance, metrics: null, _time);
            _targets = targets;
        }

        return _producer;
    }

    private async Task AskLookupdAsync(LookupdClient client, CancellationToken token)
    {
        foreach (var lookupd in _lookupds)
        {
            try
            {
                using var bound = new CancellationTokenSource(NsqDefaults.LookupdTimeout, _time);
                using var timeout = CancellationTokenSource.CreateLinkedTokenSource(token, bound.Token);
                var nodes = await client.NodesAsync(lookupd, timeout.Token).ConfigureAwait(false);
                _listed[lookupd] = [.. nodes.Select(static n => n.Tcp)];
            }
            catch (Exception e) when (e is HttpRequestException or FormatException || (e is OperationCanceledException && !token.IsCancellationRequested))
            {
                if (_warnings.Admit($"{lookupd} {e.Message}", out _))
                {
                    NsqControlLog.StatusLookupdFailed(_logger, lookupd.ToString(), e.Message);
                }
            }
        }

        _askedAt = _time.GetTimestamp();
        _askAgain = false;
    }

    private NsqProducerOptions ProducerOptions(IEnumerable<NsqAddress> targets) => new()
    {
        Nsqd = [.. targets.Select(static t => t.ToString())],
        Envelope = false,
        HeartbeatInterval = _settings.HeartbeatInterval,
        Tls = _settings.Tls,
        TlsCaFile = _settings.TlsCaFile,
        TlsCertFile = _settings.TlsCertFile,
        TlsKeyFile = _settings.TlsKeyFile,
        Snappy = _settings.Snappy,
        Deflate = _settings.Deflate,
        DeflateLevel = _settings.DeflateLevel,
        AuthSecret = _settings.AuthSecret,
        MaxMessageBytes = _settings.MaxMessageBytes,
        ConnectTimeout = _settings.ConnectTimeout,
    };

    private async Task CloseTargetsAsync()
    {
        if (_producer is { } producer)
        {
            _producer = null;
            _targets = [];
            await producer.DisposeAsync().ConfigureAwait(false);
        }
    }
}
