using Confluent.Kafka;
using Tmq.Dispatch;

namespace Tmq.Kafka;

// Flow control: pausing and resuming partitions for backpressure, the Paused option and the
// Stop policy. Poll thread only.
internal sealed partial class KafkaConsumerLoop
{
    /// <summary>
    /// Backpressure without churn. When the engine's buffer is full the loop stops taking
    /// messages: it waits for the engine's low-water signal, polling only every
    /// <see cref="FullPollInterval"/> to serve group callbacks, and parks anything a poll returns
    /// in <see cref="_overflow"/>. librdkafka's bounded prefetch queue holds the rest, so nothing is
    /// fetched twice. Pausing partitions (which makes librdkafka discard its prefetched data and
    /// fetch it again, and resumes only at its next fetch) is kept for a buffer that stays full
    /// long enough for <see cref="OverflowLimit"/> messages to pile up.
    /// </summary>
    private void UpdateCapacity()
    {
        if (!_full)
        {
            _full = !_engine.HasCapacity;
            return;
        }

        var returned = Interlocked.Exchange(ref _capacityReturned, 0) == 1;
        if (returned || _engine.Buffered <= _engine.LowWaterMark)
        {
            while (_overflow.Count > 0 && _engine.HasCapacity)
            {
                var (partition, message) = _overflow.Dequeue();
                _engine.Enqueue(partition, message);
            }

            if (_overflow.Count == 0)
            {
                _full = !_engine.HasCapacity;
                if (!_full && _capacityPaused)
                {
                    _capacityPaused = false;
                    _flowDirty = 1;
                }
            }
        }
        else if (!_capacityPaused && _overflow.Count >= OverflowLimit)
        {
            _capacityPaused = true;
            _flowDirty = 1;
        }
    }

    /// <summary>Pauses or resumes partitions to match a long backpressure stall, the Paused option and stopped partitions.</summary>
    private void UpdateFlow()
    {
        UpdateCapacity();
        // A plain read first: this runs once per polled message, and the flag is rarely set.
        if (Volatile.Read(ref _flowDirty) == 0 || Interlocked.Exchange(ref _flowDirty, 0) == 0)
        {
            return;
        }

        _userPaused = _liveOptions().Paused;
        var pauseAll = _capacityPaused || _userPaused;
        var toPause = new List<TopicPartition>();
        var toResume = new List<TopicPartition>();
        var resumedAfterPause = 0;
        HashSet<int> stopped;
        lock (_stoppedPartitions)
        {
            stopped = [.. _stoppedPartitions];
        }

        foreach (var partition in _assigned.Keys)
        {
            var pause = pauseAll || stopped.Contains(partition);
            if (_fresh.Remove(partition))
            {
                (pause ? toPause : toResume).Add(new TopicPartition(_options.Topic, partition));
                if (pause)
                {
                    _paused.Add(partition);
                }
                else
                {
                    _paused.Remove(partition);
                }
            }
            else if (pause && _paused.Add(partition))
            {
                toPause.Add(new TopicPartition(_options.Topic, partition));
            }
            else if (!pause && _paused.Remove(partition))
            {
                toResume.Add(new TopicPartition(_options.Topic, partition));
                resumedAfterPause++;
            }
        }

        if (toPause.Count > 0)
        {
            _consumer.Pause(toPause);
            KafkaConsumerLog.FlowChanged(_logger, _name, "paused", Reason(toPause.Count));
        }

        if (toResume.Count > 0)
        {
            // Newly assigned partitions are resumed too (librdkafka may remember a pause from an
            // earlier assignment), but only a resume after a pause is news worth a log line.
            _consumer.Resume(toResume);
            if (resumedAfterPause > 0)
            {
                KafkaConsumerLog.FlowChanged(_logger, _name, "resumed", $"{resumedAfterPause} partition(s)");
            }
        }
    }

    private string Reason(int count) =>
        _userPaused ? "the Paused option is set"
        : _capacityPaused ? $"MaxBufferedMessages ({_options.MaxBufferedMessages}) stayed reached"
        : $"{count} partition(s) halted by the Stop policy";
}
