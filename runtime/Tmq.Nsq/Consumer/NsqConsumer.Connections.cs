using Tmq.Nsq.Connection;

namespace Tmq.Nsq.Consumer;

// Finding nsqd (fixed addresses or lookupd), and each nsqd's connect, read, reconnect loop.
internal sealed partial class NsqConsumer
{
    private readonly Lock _slotsGate = new();
    private readonly Dictionary<(NsqAddress Address, int Index), NsqdSlot> _slots = [];
    private TaskCompletionSource _repoll = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private Task _discovery = Task.CompletedTask;
    private int _nextSlotId;

    public void Start(Dispatch.DispatchEngine engine)
    {
        _engine = engine;
        _settings.Status.Running = true;
        _settings.Status.Paused = _settings.Options.Paused;
        _rotationTimer = TimeProvider.CreateTimer(static s => ((NsqConsumer)s!).Rotate(), this, NsqDefaults.RdyRotateInterval, NsqDefaults.RdyRotateInterval);
        foreach (var text in _settings.Options.Nsq.Nsqd)
        {
            if (NsqAddress.TryParse(text, out var address))
            {
                AddSlot(address, configured: true);
            }
        }

        if (_settings.Lookupd is not null)
        {
            _discovery = Task.Run(DiscoverAsync);
        }

        StartDepthPolling();
    }

    private NsqdSlot[] Slots()
    {
        lock (_slotsGate)
        {
            return [.. _slots.Values];
        }
    }

    private void AddSlot(NsqAddress address, bool configured = false)
    {
        lock (_slotsGate)
        {
            if (_stopRequested)
            {
                return;
            }

            for (var index = 0; index < _settings.Options.Nsq.ConnectionsPerNsqd; index++)
            {
                if (_slots.TryGetValue((address, index), out var known))
                {
                    known.Listed = true;
                    continue;
                }

                var slot = new NsqdSlot(address, _nextSlotId++) { Configured = configured, Index = index };
                _slots[(address, index)] = slot;
                slot.Loop = Task.Run(() => RunSlotAsync(slot));
            }
        }
    }

    private async Task RunSlotAsync(NsqdSlot slot)
    {
        var token = _stopping.Token;
        while (!token.IsCancellationRequested)
        {
            var failure = await RunSessionAsync(slot, token).ConfigureAwait(false);
            if (_stopRequested || token.IsCancellationRequested)
            {
                return;
            }

            if (failure is not null)
            {
                NsqConsumerLog.ConnectionLost(_logger, _name, slot.ToString(), failure.Message, slot.Failures);
            }

            // The drop may mean the nsqd left: lookupd is asked again while the reconnect waits,
            // and an nsqd no lookupd lists any more is let go instead of reconnected.
            Repoll();
            await Task.WhenAny(Task.Delay(ReconnectDelay(slot.Failures++), TimeProvider, token), slot.Unlisted).ConfigureAwait(false);
            if (token.IsCancellationRequested)
            {
                return;
            }

            lock (_slotsGate)
            {
                if (!slot.Listed)
                {
                    _slots.Remove((slot.Address, slot.Index));
                    NsqConsumerLog.NsqdLeft(_logger, _name, slot.ToString());
                    return;
                }
            }
        }
    }

    /// <summary>One connection from connect to close. Returns why it ended (null: closed on purpose).</summary>
    private async Task<Exception?> RunSessionAsync(NsqdSlot slot, CancellationToken token)
    {
        var session = new NsqdSession(this, slot);
        NsqConsumerLog.Connecting(_logger, _name, slot.ToString());
        try
        {
            var connection = await NsqConnection.ConnectAsync(slot.Address.Host, slot.Address.Port, _settings.Connection, session, token).ConfigureAwait(false);
            session.Connection = connection;
            connection.Subscribe(_topic, _settings.Channel);
            var answer = await session.Subscribed.WaitAsync(_settings.Connection.ConnectTimeout, TimeProvider, token).ConfigureAwait(false);
            if (!answer.IsOk)
            {
                throw new NsqException(answer.Type == Protocol.FrameType.Error ? Protocol.NsqErrorFrame.Parse(answer.Data).Code : "E_UNEXPECTED", $"nsqd at {slot} answered SUB {_topic} {_settings.Channel} with \"{answer.Text}\".");
            }

            lock (_enqueueGate)
            {
                if (_stopRequested)
                {
                    return null;
                }

                session.Open(_engine!.AddPartition(_topic, slot.Id), TimeProvider);
            }

            slot.Session = session;
            slot.Ready = 0;
            slot.Failures = 0;
            _settings.Status.AddAssigned(1);
            NsqConsumerLog.Connected(_logger, _name, slot.ToString(), connection.Negotiated.Version, connection.Negotiated.MsgTimeout.TotalSeconds, connection.Negotiated.MaxRdyCount);
            UpdateReady();

            // Closed by nsqd or a failure, or by the shutdown (which closes every open session, or,
            // for one that opened while it took its list, cancels the token).
            return await session.Closed.WaitAsync(token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (token.IsCancellationRequested)
        {
            return null;
        }
        catch (Exception ex)
        {
            return ex;
        }
        finally
        {
            await EndSessionAsync(slot, session).ConfigureAwait(false);
        }
    }

    private async Task EndSessionAsync(NsqdSlot slot, NsqdSession session)
    {
        if (ReferenceEquals(slot.Session, session))
        {
            slot.Session = null;
            _settings.Status.AddAssigned(-1);
        }

        if (session.Connection is { } connection)
        {
            await connection.DisposeAsync().ConfigureAwait(false);
        }

        // A connection that dropped takes its messages with it: nsqd redelivers them after their
        // timeout, and a FIN could only go over this connection. A shutdown drains them instead.
        if (session.Partition is { } partition && !_stopRequested)
        {
            _engine!.Abandon([partition]);
        }

        session.Dispose();
        UpdateReady();
    }

    /// <summary>Exponential from ReconnectDelay to MaxReconnectDelay, with ±20% jitter so that a fleet does not reconnect in step.</summary>
    private TimeSpan ReconnectDelay(int failures)
    {
        var nsq = _settings.Options.Nsq;
        var delay = nsq.ReconnectDelay.TotalMilliseconds * Math.Pow(2, Math.Min(failures, 20));
        delay = Math.Min(delay, nsq.MaxReconnectDelay.TotalMilliseconds);
        return TimeSpan.FromMilliseconds(delay * (0.8 + (0.4 * _settings.Random())));
    }

    /// <summary>Asks lookupd again now (a connection dropped: its nsqd may have gone, or another come).</summary>
    private void Repoll() => Volatile.Read(ref _repoll).TrySetResult();

    private async Task DiscoverAsync()
    {
        var token = _stopping.Token;
        var lookupds = _settings.Options.Nsq.Lookupd.Select(static t => NsqAddress.TryParseLookupd(t, out var uri) ? uri : null).OfType<Uri>().ToArray();
        var known = new Dictionary<Uri, IReadOnlyList<NsqAddress>>();
        var interval = _settings.Options.Nsq.LookupdPollInterval;
        while (!token.IsCancellationRequested)
        {
            var answers = await Task.WhenAll(lookupds.Select(uri => AskAsync(uri, token))).ConfigureAwait(false);
            for (var i = 0; i < lookupds.Length; i++)
            {
                if (answers[i] is { } found)
                {
                    known[lookupds[i]] = found;
                }
            }

            var listed = known.Values.SelectMany(static a => a).ToHashSet();
            if (listed.Count == 0 && answers.Any(static a => a is not null))
            {
                NsqConsumerLog.TopicNotFound(_logger, _name, _topic, interval.TotalSeconds);
            }

            foreach (var address in listed)
            {
                AddSlot(address);
            }

            foreach (var slot in Slots().Where(s => !s.Configured && !listed.Contains(s.Address)))
            {
                slot.Listed = false;
            }

            var wait = interval * (0.9 + (0.2 * _settings.Random()));
            var repoll = Volatile.Read(ref _repoll).Task;
            try
            {
                await Task.WhenAny(repoll, Task.Delay(wait, TimeProvider, token)).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                return;
            }

            if (repoll.IsCompleted)
            {
                Volatile.Write(ref _repoll, new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously));
            }
        }
    }

    /// <summary>One lookupd's answer, or null when it could not be asked (its last answer stands).</summary>
    private async Task<IReadOnlyList<NsqAddress>?> AskAsync(Uri lookupd, CancellationToken token)
    {
        try
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(token);
            timeout.CancelAfter(NsqDefaults.LookupdTimeout);
            var nodes = await _settings.Lookupd!.LookupNodesAsync(lookupd, _topic, timeout.Token).ConfigureAwait(false);
            foreach (var node in nodes)
            {
                RememberHttpPort(node);
            }

            return [.. nodes.Select(static n => n.Tcp)];
        }
        catch (OperationCanceledException) when (token.IsCancellationRequested)
        {
            // Stopping.
            return null;
        }
        catch (Exception ex) when (ex is HttpRequestException or FormatException or OperationCanceledException)
        {
            NsqConsumerLog.LookupdFailed(_logger, _name, lookupd.ToString(), ex.Message);
            return null;
        }
    }
}
