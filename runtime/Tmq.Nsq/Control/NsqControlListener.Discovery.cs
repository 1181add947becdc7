using Tmq.Nsq.Discovery;

namespace Tmq.Nsq.Control;

// Which nsqd to read: the fixed ones, and every nsqd lookupd's /nodes lists.
internal sealed partial class NsqControlListener
{
    private readonly Lock _gate = new();
    private readonly Dictionary<NsqAddress, NsqControlSubscription> _subscriptions = [];
    private readonly TaskCompletionSource _firstRound = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private TaskCompletionSource _repoll = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private Task _discovery = Task.CompletedTask;
    private HttpClient? _http;

    private void StartDiscovery(NsqControlSetup setup)
    {
        foreach (var text in setup.Settings.Nsqd)
        {
            if (NsqAddress.TryParse(text, out var address))
            {
                Subscribe(setup, address, configured: true);
            }
        }

        var lookupds = setup.Settings.Lookupd.Select(static t => NsqAddress.TryParseLookupd(t, out var uri) ? uri : null).OfType<Uri>().ToArray();
        if (lookupds.Length == 0)
        {
            _firstRound.TrySetResult();
            return;
        }

        _http = new HttpClient { Timeout = NsqDefaults.LookupdTimeout };
        var client = new LookupdClient(_http);
        _discovery = Task.Run(() => DiscoverAsync(setup, client, lookupds), CancellationToken.None);
    }

    private NsqControlSubscription[] Subscriptions()
    {
        lock (_gate)
        {
            return [.. _subscriptions.Values];
        }
    }

    /// <summary>Completes when the nsqd known at start have each been subscribed or failed once.</summary>
    private async Task FirstSubscriptionsAsync()
    {
        await _firstRound.Task.ConfigureAwait(false);
        await Task.WhenAll(Subscriptions().Select(static s => s.FirstAttempt)).ConfigureAwait(false);
    }

    private void Subscribe(NsqControlSetup setup, NsqAddress address, bool configured)
    {
        lock (_gate)
        {
            if (_stopping.IsCancellationRequested)
            {
                return;
            }

            if (_subscriptions.TryGetValue(address, out var known))
            {
                known.Listed = true;
                return;
            }

            var subscription = new NsqControlSubscription(address, configured, setup);
            _subscriptions[address] = subscription;
            var token = _stopping.Token;
            subscription.Loop = Task.Run(() => subscription.RunAsync(token), CancellationToken.None);
        }
    }

    private void Forget(NsqControlSubscription subscription)
    {
        lock (_gate)
        {
            if (_subscriptions.TryGetValue(subscription.Address, out var known) && ReferenceEquals(known, subscription))
            {
                _subscriptions.Remove(subscription.Address);
            }
        }
    }

    private void Repoll() => Volatile.Read(ref _repoll).TrySetResult();

    private async Task DiscoverAsync(NsqControlSetup setup, LookupdClient client, Uri[] lookupds)
    {
        var token = _stopping.Token;
        var known = new Dictionary<Uri, IReadOnlyList<NsqAddress>>();
        var interval = setup.Settings.LookupdPollInterval;
        while (!token.IsCancellationRequested)
        {
            var answers = await Task.WhenAll(lookupds.Select(uri => AskAsync(client, uri, token))).ConfigureAwait(false);
            for (var i = 0; i < lookupds.Length; i++)
            {
                if (answers[i] is { } found)
                {
                    known[lookupds[i]] = found;
                }
            }

            var listed = known.Values.SelectMany(static a => a).ToHashSet();
            foreach (var address in listed)
            {
                Subscribe(setup, address, configured: false);
            }

            foreach (var subscription in Subscriptions().Where(s => !s.Configured && !listed.Contains(s.Address)))
            {
                subscription.Listed = false;
            }

            _firstRound.TrySetResult();
            var repoll = Volatile.Read(ref _repoll).Task;
            await Task.WhenAny(repoll, Task.Delay(interval * (0.9 + (0.2 * setup.Random())), setup.TimeProvider, token)).ConfigureAwait(false);
            if (repoll.IsCompleted)
            {
                Volatile.Write(ref _repoll, new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously));
            }
        }
    }

    /// <summary>Every nsqd one lookupd knows, or null when it could not be asked (its last answer stands).</summary>
    private async Task<IReadOnlyList<NsqAddress>?> AskAsync(LookupdClient client, Uri lookupd, CancellationToken token)
    {
        try
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(token);
            timeout.CancelAfter(NsqDefaults.LookupdTimeout);
            var nodes = await client.NodesAsync(lookupd, timeout.Token).ConfigureAwait(false);
            return [.. nodes.Select(static n => n.Tcp)];
        }
        catch (OperationCanceledException) when (token.IsCancellationRequested)
        {
            return null;
        }
        catch (Exception ex) when (ex is HttpRequestException or FormatException or OperationCanceledException)
        {
            NsqControlLog.LookupdFailed(_logger, lookupd.ToString(), ex.Message);
            return null;
        }
    }
}
