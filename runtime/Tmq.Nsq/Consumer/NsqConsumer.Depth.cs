using System.Collections.Concurrent;
using Tmq.Nsq.Discovery;

namespace Tmq.Nsq.Consumer;

// The channel's depth on each nsqd, read from nsqd's HTTP /stats for the tmq.consumer.depth gauge:
// what lag is on Kafka. nsqd knows it; a consumer only sees what nsqd sends it.
internal sealed partial class NsqConsumer
{
    private readonly ConcurrentDictionary<NsqAddress, int> _httpPorts = new();
    private readonly ConcurrentDictionary<NsqAddress, long> _depths = new();
    private readonly ConcurrentDictionary<NsqAddress, bool> _depthUnknown = new();
    private Task _depthPolling = Task.CompletedTask;

    /// <summary>Messages waiting in the channel on each nsqd (host:port of its TCP address), as last read; an nsqd that did not answer is left out.</summary>
    public IEnumerable<(string Server, long Depth)> Depth() => [.. _depths.Select(static d => (d.Key.ToString(), d.Value))];

    /// <summary>Records the HTTP port that lookupd gave for an nsqd (a fixed address is asked at the next port).</summary>
    private void RememberHttpPort(NsqdNode node)
    {
        if (node.HttpPort > 0)
        {
            _httpPorts[node.Tcp] = node.HttpPort;
        }
    }

    private void StartDepthPolling()
    {
        if (_settings.Stats is not null && _settings.Options.Nsq.DepthPollInterval > TimeSpan.Zero)
        {
            _depthPolling = Task.Run(PollDepthAsync);
        }
    }

    private async Task PollDepthAsync()
    {
        var token = _stopping.Token;
        while (!token.IsCancellationRequested)
        {
            var nsqds = Slots().Where(static s => s.Listed).Select(static s => s.Address).Distinct().ToList();
            foreach (var gone in _depths.Keys.Except(nsqds))
            {
                _depths.TryRemove(gone, out _);
            }

            foreach (var gone in _depthUnknown.Keys.Except(nsqds))
            {
                _depthUnknown.TryRemove(gone, out _);
            }

            await Task.WhenAll(nsqds.Select(a => ReadDepthAsync(a, token))).ConfigureAwait(false);
            try
            {
                await Task.Delay(_settings.Options.Nsq.DepthPollInterval, TimeProvider, token).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    private async Task ReadDepthAsync(NsqAddress nsqd, CancellationToken token)
    {
        var node = new NsqdNode(nsqd, _httpPorts.TryGetValue(nsqd, out var known) ? known : 0);
        if (node.HttpOrNextPort is not { } http)
        {
            return;
        }

        try
        {
            using var limit = new CancellationTokenSource(NsqDefaults.LookupdTimeout, TimeProvider);
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(token, limit.Token);
            var stats = await NsqdStats.GetTopicAsync(_settings.Stats!, http, _topic, timeout.Token).ConfigureAwait(false);
            if (stats?.Channels.FirstOrDefault(c => c.Name == _settings.Channel) is { } channel)
            {
                _depths[nsqd] = channel.Depth;
                _depthUnknown.TryRemove(nsqd, out _);
            }
            else
            {
                // Not subscribed there yet: nothing waits for this channel on that nsqd.
                _depths.TryRemove(nsqd, out _);
            }
        }
        catch (OperationCanceledException) when (token.IsCancellationRequested)
        {
            // Stopping.
        }
        catch (Exception ex) when (!token.IsCancellationRequested)
        {
            // Whatever went wrong (an answer that is not nsqd's, a refused connection, a timeout), the
            // gauge leaves this nsqd out and the next poll tries again: it must never end the loop.
            _depths.TryRemove(nsqd, out _);
            if (_depthUnknown.TryAdd(nsqd, true))
            {
                NsqConsumerLog.DepthUnknown(_logger, _name, nsqd.ToString(), http.ToString(), ex is OperationCanceledException ? $"no answer within {NsqDefaults.LookupdTimeout.TotalSeconds:0} s" : ex.Message);
            }
        }
    }
}
