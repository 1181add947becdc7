using Tmq.Dispatch;

namespace Tmq.Nsq.Consumer;

// What the engine tells the consumer: FIN, REQ, capacity, a stopped message.
internal sealed partial class NsqConsumer
{
    public void OnSettled(PartitionState partition, TmqMessage message, MessageOutcome outcome, TimeSpan requeueDelay)
    {
        if (partition.Tag is not NsqdSession session)
        {
            return;
        }

        if (outcome != MessageOutcome.Requeued)
        {
            session.Settle(message, null);
            if (outcome == MessageOutcome.Handled)
            {
                Succeeded();
            }

            return;
        }

        var max = _settings.Options.Nsq.MaxRequeueDelay;
        if (requeueDelay > max)
        {
            NsqConsumerLog.RequeueDelayClamped(_logger, _name, message.MessageId ?? "?", requeueDelay.TotalSeconds, max.TotalSeconds);
            requeueDelay = max;
        }

        session.Settle(message, (long)requeueDelay.TotalMilliseconds);
    }

    public void OnDropped(PartitionState partition, TmqMessage message)
    {
        if (partition.Tag is NsqdSession session)
        {
            session.Settle(message, 0);
        }
    }

    public void OnCapacityAvailable()
    {
        if (_engine is not { } engine)
        {
            return;
        }

        bool changed;
        lock (_enqueueGate)
        {
            DrainOverflowLocked(engine);
            var full = !engine.HasCapacity;
            changed = _full != full;
            _full = full;
        }

        if (changed)
        {
            UpdateReady();
        }
    }

    public void OnPartitionStopped(PartitionState partition)
    {
        // A message that must not be skipped failed for good: nothing more is taken from any nsqd.
        // It stays in flight, TOUCHed, until nsqd's max_msg_timeout gives it to another consumer.
        _settings.Status.HasStoppedPartitions = true;
        NsqConsumerLog.Halted(_logger, _name);
        UpdateReady();
    }

    /// <summary>A live option changed: Paused takes effect through RDY.</summary>
    public void OptionsChanged()
    {
        var paused = _settings.LiveOptions().Paused;
        if (_settings.Status.Paused != paused)
        {
            _settings.Status.Paused = paused;
            NsqConsumerLog.PausedChanged(_logger, _name, paused);
        }

        UpdateReady();
    }
}
