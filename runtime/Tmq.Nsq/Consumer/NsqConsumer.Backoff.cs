namespace Tmq.Nsq.Consumer;

// Optional consumer-wide backoff (Nsq:Backoff), as go-nsq does it.
internal sealed partial class NsqConsumer
{
    private bool _backingOff;
    private bool _testing;
    private ITimer? _backoffTimer;

    /// <summary>RDY over all connections while backing off: 0 during the wait, then 1 until a message succeeds; null when not backing off.</summary>
    private int? BackoffLimit => _backingOff ? 0 : _testing ? 1 : null;

    /// <summary>A handler failed and its message will be retried after <paramref name="delay"/>: with Backoff on, the whole consumer waits that long.</summary>
    private void BackOff(TimeSpan delay)
    {
        if (!_settings.Options.Nsq.Backoff)
        {
            return;
        }

        lock (_readyGate)
        {
            _backingOff = true;
            _testing = true;
            _backoffTimer?.Dispose();
            _backoffTimer = TimeProvider.CreateTimer(static s => ((NsqConsumer)s!).EndBackoffWait(), this, delay, Timeout.InfiniteTimeSpan);
        }

        NsqConsumerLog.BackingOff(_logger, _name, delay.TotalSeconds);
        UpdateReady();
    }

    private void EndBackoffWait()
    {
        lock (_readyGate)
        {
            _backingOff = false;
        }

        UpdateReady();
    }

    /// <summary>A message succeeded: one success after a backoff restores the full RDY.</summary>
    private void Succeeded()
    {
        if (!_testing)
        {
            return;
        }

        lock (_readyGate)
        {
            if (_backingOff || !_testing)
            {
                return;
            }

            _testing = false;
        }

        NsqConsumerLog.BackoffEnded(_logger, _name);
        UpdateReady();
    }
}
