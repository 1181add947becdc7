using Confluent.Kafka;
using Tmq.Dispatch;

namespace Tmq.Kafka;

// Flow control: pausing and resuming partitions for backpressure, the Paused option and the
// Stop policy. Poll thread only.
internal sealed partial class KafkaConsumerLoop
{
    /// <summary>
    /// Backpressure without churn, and without one partition starving the others. A message whose
    /// partition has no room (the buffer is full and the partition holds its share of it, see
    /// DispatchEngine.HasCapacityFor) is parked in <see cref="_overflow"/>; while one is parked the
    /// loop stops taking messages: it waits for the engine's low-water signal, polling only every
    /// <see cref="FullPollInterval"/> to serve group callbacks and parking what a poll returns.
    /// librdkafka's bounded prefetch queue holds the rest, so nothing is fetched twice. Pausing
    /// partitions (which makes librdkafka discard its prefetched data and fetch it again, and
    /// resumes only at its next fetch) is kept for two cases: a buffer that stays full long enough
    /// for <see cref="OverflowLimit"/> messages to pile up (all partitions), and a partition that
    /// holds twice its share, or its share while another partition holds less than half of its own,
    /// such as one key's backlog behind a slow or retrying handler (that partition alone, so the
    /// loop keeps fetching the others). Both resume at low water.
    /// </summary>
    private void UpdateCapacity()
    {
        if (_overflow.Count == 0 && _hogs.Count == 0 && !_capacityPaused)
        {
            // Nothing parked or paused for capacity (the common case, checked once per message).
            if (Volatile.Read(ref _capacityReturned) == 1)
            {
                Volatile.Write(ref _capacityReturned, 0);
            }

            return;
        }

        var returned = Interlocked.Exchange(ref _capacityReturned, 0) == 1;
        if (returned || _engine.Buffered <= _engine.LowWaterMark)
        {
            AdmitParked();
            if (_overflow.Count == 0 && (_capacityPaused || _hogs.Count > 0))
            {
                _capacityPaused = false;
                _hogs.Clear();
                Volatile.Write(ref _hogsPaused, false);
                _flowDirty = 1;
            }
        }
        else if (_overflow.Count > 0)
        {
            // A partition that fell below its share takes its parked messages now, not at low water.
            AdmitParked();
            if (HasParkedBesidesHogs() && !_capacityPaused && _overflow.Count >= OverflowLimit)
            {
                _capacityPaused = true;
                _flowDirty = 1;
            }
        }

        _full = HasParkedBesidesHogs();
    }

    /// <summary>Enqueues parked messages whose partition has room, in order within each partition.</summary>
    private void AdmitParked()
    {
        _blocked.Clear();
        for (var n = _overflow.Count; n > 0; n--)
        {
            var (partition, message) = _overflow.Dequeue();
            if (!_blocked.Contains(partition.Partition) && _engine.HasCapacityFor(partition))
            {
                _engine.Enqueue(partition, message);
            }
            else
            {
                _blocked.Add(partition.Partition);
                _overflow.Enqueue((partition, message));
            }
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

        ReadPausedOption();
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
            var pause = pauseAll || stopped.Contains(partition) || _hogs.Contains(partition);
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

    /// <summary>Takes the live Paused option, and tells the health check.</summary>
    private void ReadPausedOption()
    {
        _userPaused = _liveOptions().Paused;
        _status.Paused = _userPaused;
    }

    private string Reason(int count) =>
        _userPaused ? "the Paused option is set"
        : _capacityPaused ? $"MaxBufferedMessages ({_options.MaxBufferedMessages}) stayed reached"
        : _hogs.Count > 0 ? $"partition(s) {string.Join(", ", _hogs.Order())} hold their share of MaxBufferedMessages ({_options.MaxBufferedMessages}) or more while other partitions are owed room; the others keep fetching until the buffer is half empty"
        : $"{count} partition(s) halted by the Stop policy";
}
