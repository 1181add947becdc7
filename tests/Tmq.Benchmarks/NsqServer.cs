using System.Diagnostics;
using System.Globalization;
using Tmq.Nsq;
using Tmq.Nsq.Discovery;

namespace Tmq.Benchmarks;

/// <summary>
/// The nsqd a benchmark runs against: one given with <c>--nsqd</c>, else a real nsqd started from the
/// Go tools' folder (<see cref="NsqdProcess"/>), else the in-process <see cref="DevNsqd"/>. Topics and
/// channels are made and removed through nsqd's HTTP API.
/// </summary>
internal sealed class NsqServer : IAsyncDisposable
{
    private readonly HttpClient _http;
    private readonly NsqdProcess? _process;
    private readonly DevNsqd? _dev;

    private NsqServer(string tcpAddress, Uri httpAddress, string description, NsqdProcess? process = null, DevNsqd? dev = null)
    {
        TcpAddress = tcpAddress;
        _http = new HttpClient { BaseAddress = httpAddress, Timeout = TimeSpan.FromMinutes(2) };
        Description = description;
        _process = process;
        _dev = dev;
    }

    /// <summary>nsqd's TCP address, <c>host:port</c>.</summary>
    public string TcpAddress { get; }

    public string Description { get; }

    /// <summary>True for the dev nsqd: it runs in this process, so its CPU counts as the client's.</summary>
    public bool InProcess => _dev is not null;

    /// <summary>CPU time nsqd has used so far, or null when it is not a child of this process.</summary>
    public double? CpuSeconds => _process?.CpuSeconds;

    public static async Task<NsqServer> StartAsync(string? tcpAddress, string? httpAddress, string? goBench)
    {
        if (tcpAddress is not null)
        {
            var colon = tcpAddress.LastIndexOf(':');
            var port = colon > 0 && int.TryParse(tcpAddress.AsSpan(colon + 1), CultureInfo.InvariantCulture, out var p)
                ? p
                : throw new ArgumentException($"--nsqd is \"{tcpAddress}\"; it must be host:port, e.g. 127.0.0.1:4150.");

            // nsqd's default HTTP port is its TCP port + 1 (4150, 4151).
            var http = new Uri(httpAddress ?? $"http://{tcpAddress[..colon]}:{port + 1}/");
            return new NsqServer(tcpAddress, http, $"nsqd at {tcpAddress} (given), HTTP {http}");
        }

        var nsqd = goBench is null ? null : Path.Combine(goBench, "nsqd");
        if (nsqd is not null && File.Exists(nsqd))
        {
            var process = await NsqdProcess.StartAsync(nsqd);
            return new NsqServer(
                process.TcpAddress, process.HttpAddress, $"{nsqd} ({process.Version}), child process, --mem-queue-size=10000, data in {process.DataPath}", process);
        }

        var dev = await DevNsqd.StartAsync();
        return new NsqServer(
            $"127.0.0.1:{dev.TcpEndPoint.Port}",
            dev.HttpAddress,
            $"the in-process dev nsqd (Tmq.Nsq.DevNsqd; no nsqd in {goBench ?? "(no --go-bench)"}): figures are against the dev nsqd, not comparable to BENCHMARKS.md",
            dev: dev);
    }

    /// <summary>Creates <paramref name="topic"/> and its channel, so that what is published flows to the channel as it would to a subscriber.</summary>
    public async Task CreateAsync(string topic, string channel)
    {
        await PostAsync($"topic/create?topic={topic}");
        await PostAsync($"channel/create?topic={topic}&channel={channel}");
    }

    /// <summary>Deletes <paramref name="topic"/> with its channels and their disk queues.</summary>
    public Task DeleteAsync(string topic) => PostAsync($"topic/delete?topic={topic}");

    /// <summary>
    /// Waits until nsqd has moved everything published to <paramref name="topic"/> into its channel
    /// (the topic's own depth is 0) and returns how long that took. nsqd answers a publish once the
    /// message is in the topic's queue; when publishing outpaces the topic's pump, the rest moves
    /// after the last OK, on nsqd's CPU, and would otherwise slow whatever is measured next.
    /// </summary>
    public async Task<TimeSpan> SettleAsync(string topic)
    {
        var start = Stopwatch.GetTimestamp();
        var deadline = TimeSpan.FromMinutes(5);
        while (await TopicDepthAsync(topic) > 0)
        {
            if (Stopwatch.GetElapsedTime(start) > deadline)
            {
                throw new TimeoutException($"nsqd did not move the messages of {topic} into its channel within {deadline}.");
            }

            await Task.Delay(50);
        }

        return Stopwatch.GetElapsedTime(start);
    }

    /// <summary>A channel's counts now, or null when it does not exist.</summary>
    public async Task<ChannelStats?> ChannelStatsAsync(string topic, string channel) =>
        (await NsqdStats.GetTopicAsync(_http, _http.BaseAddress!, topic, CancellationToken.None))?.Channels.FirstOrDefault(c => c.Name == channel) is { } c
            ? new ChannelStats(c.Depth, c.InFlight, c.Deferred, c.Messages, c.Requeued, c.TimedOut)
            : null;

    private async Task<long> TopicDepthAsync(string topic) =>
        (await NsqdStats.GetTopicAsync(_http, _http.BaseAddress!, topic, CancellationToken.None))?.Depth ?? 0;

    public async ValueTask DisposeAsync()
    {
        _http.Dispose();
        if (_dev is not null)
        {
            await _dev.DisposeAsync();
        }

        if (_process is not null)
        {
            await _process.DisposeAsync();
        }
    }

    private async Task PostAsync(string pathAndQuery)
    {
        using var response = await _http.PostAsync(pathAndQuery, null);
        if (!response.IsSuccessStatusCode)
        {
            throw new InvalidOperationException($"nsqd answered {(int)response.StatusCode} to POST /{pathAndQuery}: {await response.Content.ReadAsStringAsync()}");
        }
    }

    /// <summary>nsqd's counts of one channel; <see cref="Backlog"/> is what waits in it or is in flight.</summary>
    internal sealed record ChannelStats(long Depth, long InFlight, long Deferred, long Delivered, long Requeued, long TimedOut)
    {
        public long Backlog => Depth + InFlight + Deferred;

        public override string ToString() =>
            $"depth {Depth}, in flight {InFlight}, deferred {Deferred}; since created: {Delivered} messages in, {Requeued} requeued, {TimedOut} timed out";
    }
}
