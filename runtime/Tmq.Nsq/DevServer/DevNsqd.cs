using System.Net;
using Tmq.Nsq.DevServer;

namespace Tmq.Nsq;

/// <summary>
/// A development nsqd: an in-process, single-node NSQ server on loopback ports that behaves like
/// nsqd 1.3 for a client (protocol V2 with IDENTIFY negotiation, TLS, snappy, deflate and AUTH;
/// channels, RDY, in-flight timeouts, TOUCH, REQ and DPUB deferral; nsqd's HTTP API with
/// <c>/pub</c>, <c>/mpub</c> and <c>/stats</c>) and also answers nsqlookupd's <c>/lookup</c> and
/// <c>/nodes</c> for itself, so that discovery works against it.
/// </summary>
/// <remarks>
/// For local runs, demos and tests only, never production: it keeps every message in memory and
/// nothing on disk (a stop loses them all), and has no replication. Time (timeouts, deferrals,
/// heartbeats, timestamps) comes from <see cref="DevNsqdOptions.TimeProvider"/>, so tests can drive
/// it with a fake clock. Each instance binds its own ports; start one per test.
/// </remarks>
public sealed class DevNsqd : IAsyncDisposable
{
    private readonly DevBroker _broker;
    private readonly TcpAcceptor _tcp;
    private readonly MiniHttpServer _http;
    private readonly MiniHttpServer _lookupd;
    private readonly Lock _stopLock = new();
    private Task? _stopped;

    private DevNsqd(DevBroker broker, TcpAcceptor tcp, MiniHttpServer http, MiniHttpServer lookupd)
    {
        _broker = broker;
        _tcp = tcp;
        _http = http;
        _lookupd = lookupd;

        // Kept from the start: a stopped listener reports the port it was asked for (0), and a test
        // that restarts a server on the same ports reads them after the stop.
        TcpEndPoint = tcp.EndPoint;
        HttpAddress = http.Address;
        LookupdHttpAddress = lookupd.Address;
    }

    /// <summary>Where clients connect for the NSQ TCP protocol (127.0.0.1), also after <see cref="StopAsync"/>. <value>Set by <see cref="StartAsync"/>.</value></summary>
    public IPEndPoint TcpEndPoint { get; }

    /// <summary>The base address of nsqd's HTTP API, e.g. <c>http://127.0.0.1:4151/</c>. <value>Set by <see cref="StartAsync"/>.</value></summary>
    public Uri HttpAddress { get; }

    /// <summary>The base address of the nsqlookupd HTTP API, on its own port. <value>Set by <see cref="StartAsync"/>.</value></summary>
    public Uri LookupdHttpAddress { get; }

    /// <summary>Binds the ports and starts serving.</summary>
    /// <param name="options">Settings; null for nsqd's defaults on free ports. Read once: later changes have no effect.</param>
    /// <param name="cancellationToken">Cancels the start.</param>
    /// <exception cref="ArgumentException">An option is out of range; the message names it.</exception>
    /// <exception cref="System.Net.Sockets.SocketException">A port given in the options is taken.</exception>
    public static async Task<DevNsqd> StartAsync(DevNsqdOptions? options = null, CancellationToken cancellationToken = default)
    {
        cancellationToken.ThrowIfCancellationRequested();
        options = (options ?? new DevNsqdOptions()).Snapshot();
        options.Validate();
        var broker = new DevBroker(options);
        TcpAcceptor? tcp = null;
        MiniHttpServer? http = null;
        MiniHttpServer? lookupd = null;
        try
        {
            tcp = new TcpAcceptor(broker, options.TcpPort);
            var nsqdApi = new NsqdHttpApi(broker, () => tcp.EndPoint, () => http!.EndPoint);
            http = new MiniHttpServer(options.HttpPort, Math.Max(options.MaxBodySize, options.MaxMsgSize), nsqdApi.HandleAsync);
            var lookupdApi = new LookupdHttpApi(broker, () => tcp.EndPoint, () => http.EndPoint);
            lookupd = new MiniHttpServer(options.LookupdHttpPort, 64 * 1024, lookupdApi.HandleAsync);
        }
        catch
        {
            if (tcp is not null)
            {
                await tcp.DisposeAsync();
            }

            if (http is not null)
            {
                await http.DisposeAsync();
            }

            broker.Dispose();
            throw;
        }

        tcp.Start();
        http.Start();
        lookupd.Start();
        return new DevNsqd(broker, tcp, http, lookupd);
    }

    /// <summary>
    /// Publishes a message as PUB (or, with <paramref name="defer"/>, DPUB) would, without a
    /// connection. The topic is created if it does not exist.
    /// </summary>
    /// <param name="topic">A valid NSQ topic name.</param>
    /// <param name="body">The body: 1 byte up to <see cref="DevNsqdOptions.MaxMsgSize"/>.</param>
    /// <param name="defer">How long each channel holds it before delivery; zero for none.</param>
    /// <param name="cancellationToken">Unused: publishing completes at once. Kept for symmetry with producers.</param>
    /// <exception cref="ArgumentException">The topic name, body size or delay is not allowed; the message says which.</exception>
    public Task PublishAsync(string topic, ReadOnlyMemory<byte> body, TimeSpan defer = default, CancellationToken cancellationToken = default)
    {
        cancellationToken.ThrowIfCancellationRequested();
        if (!NsqNames.IsValid(topic))
        {
            throw new ArgumentException($"\"{topic}\" is not a valid NSQ topic name: {NsqNames.Rule}.", nameof(topic));
        }

        if (body.Length < 1 || body.Length > _broker.Options.MaxMsgSize)
        {
            throw new ArgumentException($"A message body has 1 to {_broker.Options.MaxMsgSize} bytes (MaxMsgSize); this one has {body.Length}.", nameof(body));
        }

        if (defer < TimeSpan.Zero || defer > _broker.Options.MaxReqTimeout)
        {
            throw new ArgumentOutOfRangeException(nameof(defer), defer, $"A delay is between zero and MaxReqTimeout ({_broker.Options.MaxReqTimeout}).");
        }

        _broker.Publish(topic, [body.ToArray()], defer);
        return Task.CompletedTask;
    }

    /// <summary>
    /// Creates a topic, as nsqd's <c>/topic/create</c> does, so that lookupd lists it before anything
    /// is published (a consumer that discovers nsqd through lookupd finds it at once). Nothing happens
    /// when it exists.
    /// </summary>
    /// <exception cref="ArgumentException">The name is not a valid NSQ topic name.</exception>
    public void CreateTopic(string topic)
    {
        if (!NsqNames.IsValid(topic))
        {
            throw new ArgumentException($"\"{topic}\" is not a valid NSQ topic name: {NsqNames.Rule}.", nameof(topic));
        }

        lock (_broker.Gate)
        {
            _broker.GetOrCreateTopic(topic);
        }
    }

    /// <summary>The counts of a channel now, or null when the topic or channel does not exist.</summary>
    public DevNsqdChannelStats? GetChannelStats(string topic, string channel)
    {
        lock (_broker.Gate)
        {
            if (_broker.FindTopic(topic)?.Channels.GetValueOrDefault(channel) is not { } c)
            {
                return null;
            }

            return new DevNsqdChannelStats
            {
                Depth = c.Depth,
                InFlightCount = c.InFlightCount,
                DeferredCount = c.DeferredCount,
                MessageCount = (long)c.MessageCount,
                RequeueCount = (long)c.RequeueCount,
                TimeoutCount = (long)c.TimeoutCount,
                ClientCount = c.Clients.Count,
                Paused = c.Paused,
            };
        }
    }

    /// <summary>The counts of a topic now, or null when it does not exist.</summary>
    public DevNsqdTopicStats? GetTopicStats(string topic)
    {
        lock (_broker.Gate)
        {
            return _broker.FindTopic(topic) is { } t
                ? new DevNsqdTopicStats { Depth = t.Depth, MessageCount = (long)t.MessageCount, Channels = [.. t.Channels.Keys], Paused = t.Paused }
                : null;
        }
    }

    /// <summary>
    /// Stops serving: closes every connection (clients see their socket close), releases the ports
    /// and drops every message. Safe to call more than once.
    /// </summary>
    public Task StopAsync()
    {
        lock (_stopLock)
        {
            return _stopped ??= StopCoreAsync();
        }
    }

    /// <summary>Same as <see cref="StopAsync"/>.</summary>
    public async ValueTask DisposeAsync() => await StopAsync();

    private async Task StopCoreAsync()
    {
        await _tcp.DisposeAsync();
        await _http.DisposeAsync();
        await _lookupd.DisposeAsync();
        _broker.Dispose();
    }
}
