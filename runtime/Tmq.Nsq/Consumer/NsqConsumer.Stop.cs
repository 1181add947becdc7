namespace Tmq.Nsq.Consumer;

// Shutdown: RDY 0, CLS, hand back what has not started, let the rest finish, close.
internal sealed partial class NsqConsumer
{
    /// <summary>
    /// Stops: RDY 0 and CLS on every connection (nsqd sends no more), hands back at once (REQ 0) the
    /// messages buffered but not started, lets running handlers finish within ShutdownTimeout (their
    /// FIN or REQ goes out), then closes the connections. Safe to call more than once.
    /// </summary>
    public async Task StopAsync()
    {
        lock (_slotsGate)
        {
            if (_stopRequested)
            {
                goto Wait;
            }

            lock (_enqueueGate)
            {
                _stopRequested = true;
            }
        }

        try
        {
            UpdateReady();
            foreach (var slot in Slots())
            {
                slot.Session?.Connection?.StartClose();
            }

            if (_engine is { } engine)
            {
                await engine.StopAsync(_settings.Options.ShutdownTimeout).ConfigureAwait(false);
                lock (_enqueueGate)
                {
                    DrainOverflowLocked(engine);
                }
            }

            var closing = Slots().Select(static s => s.Session).OfType<NsqdSession>()
                .Select(s => s.CloseAsync(NsqDefaults.CloseFlushTimeout, TimeProvider));
            await Task.WhenAll(closing).ConfigureAwait(false);
            await _stopping.CancelAsync().ConfigureAwait(false);
            await Task.WhenAll(Slots().Select(static s => s.Loop).Append(_discovery).Append(_depthPolling)).ConfigureAwait(false);
            NsqConsumerLog.Stopped(_logger, _name);
        }
        finally
        {
            _settings.Status.Running = false;
            _completion.TrySetResult();
        }

    Wait:
        await _completion.Task.ConfigureAwait(false);
    }

    public async ValueTask DisposeAsync()
    {
        await StopAsync().ConfigureAwait(false);
        _rotationTimer?.Dispose();
        _backoffTimer?.Dispose();
        _stopping.Dispose();
    }
}
