using System.Net;
using Tmq.Nsq.Discovery;

namespace Tmq.Nsq.Tests.Fakes;

/// <summary>
/// An nsqd (and its lookupd) for the behaviour tests: the dev nsqd, or the real daemons when
/// <c>NSQD_PATH</c> is set. Both are driven only through what every nsqd has (TCP, HTTP /pub and
/// /stats), so the same test proves the same thing against each.
/// </summary>
internal sealed class TestBroker : IAsyncDisposable
{
    private static readonly HttpClient Http = new() { Timeout = TimeSpan.FromSeconds(10) };
    private DevNsqd? _dev;
    private readonly RealNsqd? _real;

    private TestBroker(string kind, DevNsqd? dev, RealNsqd? real)
    {
        Kind = kind;
        _dev = dev;
        _real = real;
    }

    public string Kind { get; }

    /// <summary>Which brokers a behaviour test runs against: the dev nsqd always, a real one when NSQD_PATH is set.</summary>
    public static TheoryData<string> Kinds => RealNsqd.NsqdPath is null ? new TheoryData<string>("dev") : new TheoryData<string>("dev", "real");

    /// <summary>The same, for tests that need nsqlookupd: a real one only when NSQLOOKUPD_PATH is set too.</summary>
    public static TheoryData<string> KindsWithLookupd => RealNsqd.NsqdPath is null || RealNsqd.LookupdPath is null ? new TheoryData<string>("dev") : new TheoryData<string>("dev", "real");

    public IPEndPoint TcpEndPoint => _dev?.TcpEndPoint ?? _real!.TcpEndPoint;

    public string TcpAddress => $"127.0.0.1:{TcpEndPoint.Port}";

    public Uri HttpAddress => _dev?.HttpAddress ?? _real!.HttpAddress;

    /// <summary>nsqlookupd's HTTP address, or null for a real nsqd started without NSQLOOKUPD_PATH.</summary>
    public Uri? LookupdHttpAddress => _dev?.LookupdHttpAddress ?? _real!.LookupdHttpAddress;

    public static async Task<TestBroker> StartAsync(string kind)
    {
        if (kind == "real")
        {
            return new TestBroker(kind, null, await RealNsqd.StartAsync());
        }

        return new TestBroker(kind, await DevNsqd.StartAsync(), null);
    }

    /// <summary>Stops nsqd (a real one gracefully, so that it keeps its queued messages on disk).</summary>
    public async Task StopAsync()
    {
        if (_real is not null)
        {
            await _real.StopAsync();
        }
        else if (_dev is { } dev)
        {
            await dev.StopAsync();
        }
    }

    /// <summary>Starts nsqd again on the same ports (the dev nsqd starts empty: it keeps nothing).</summary>
    public async Task StartAgainAsync()
    {
        if (_real is not null)
        {
            await _real.RestartAsync();
            return;
        }

        var previous = _dev!;
        _dev = await DevNsqd.StartAsync(new DevNsqdOptions
        {
            TcpPort = previous.TcpEndPoint.Port,
            HttpPort = previous.HttpAddress.Port,
            LookupdHttpPort = previous.LookupdHttpAddress.Port,
        });
    }

    /// <summary>Publishes through nsqd's HTTP <c>/pub</c>, as any other producer would.</summary>
    public async Task PublishAsync(string topic, byte[] body)
    {
        using var content = new ByteArrayContent(body);
        using var response = await Http.PostAsync(new Uri(HttpAddress, $"pub?topic={topic}"), content);
        response.EnsureSuccessStatusCode();
    }

    /// <summary>Creates a topic and channel up front (so messages published before a consumer subscribes wait in that channel).</summary>
    public async Task CreateChannelAsync(string topic, string channel)
    {
        using (var response = await Http.PostAsync(new Uri(HttpAddress, $"topic/create?topic={topic}"), null))
        {
            response.EnsureSuccessStatusCode();
        }

        using (var response = await Http.PostAsync(new Uri(HttpAddress, $"channel/create?topic={topic}&channel={channel}"), null))
        {
            response.EnsureSuccessStatusCode();
        }
    }

    /// <summary>A channel's counts from nsqd's <c>/stats?format=json</c>; null when the topic or channel does not exist.</summary>
    public async Task<ChannelCounts?> ChannelAsync(string topic, string channel) =>
        (await NsqdStats.GetTopicAsync(Http, HttpAddress, topic, CancellationToken.None))?.Channels.FirstOrDefault(c => c.Name == channel) is { } c
            ? new ChannelCounts(c.Depth, c.InFlight, c.Requeued, c.Messages, c.Clients)
            : null;

    /// <summary>Whether nsqd has the topic (from <c>/stats</c>).</summary>
    public async Task<bool> HasTopicAsync(string topic) =>
        await NsqdStats.GetTopicAsync(Http, HttpAddress, topic, CancellationToken.None) is not null;

    public async ValueTask DisposeAsync()
    {
        if (_dev is not null)
        {
            await _dev.DisposeAsync();
        }

        if (_real is not null)
        {
            await _real.DisposeAsync();
        }
    }

    public override string ToString() => Kind;
}

/// <summary>One channel's counts as nsqd reports them.</summary>
internal sealed record ChannelCounts(long Depth, long InFlight, long Requeued, long Messages, long Clients);
