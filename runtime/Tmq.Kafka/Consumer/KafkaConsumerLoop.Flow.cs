using Confluent.Kafka;
using Tmq.Dispatch;

namespace Tmq.Kafka;

// Flow control: pausing and resuming partitions for backpressure, the Paused option and the
// Stop policy. Poll thread only.
internal sealed partial class KafkaConsumerLoop
{
    /// <summary>Pauses or resumes partitions to match backpressure, the Paused option and stopped partitions.</summary>
    private void UpdateFlow()
    {
        if (_capacityPaused && _engine.HasCapacity)
        {
            while (_overflow.Count > 0 && _engine.HasCapacity)
            {
                var (partition, message) = _overflow.Dequeue();
                _engine.Enqueue(partition, message);
            }

            if (_overflow.Count == 0)
            {
                _capacityPaused = false;
                _flowDirty = 1;
            }
        }
        else if (!_capacityPaused && !_engine.HasCapacity)
        {
            _capacityPaused = true;
            _flowDirty = 1;
        }

        if (Interlocked.Exchange(ref _flowDirty, 0) == 0)
        {
            return;
        }

        _userPaused = _liveOptions().Paused;
        var pauseAll = _capacityPaused || _userPaused;
        var toPause = new List<TopicPartition>();
        var toResume = new List<TopicPartition>();
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
            }
        }

        if (toPause.Count > 0)
        {
            _consumer.Pause(toPause);
            KafkaConsumerLog.FlowChanged(_logger, _name, "paused", Reason(toPause.Count));
        }

        if (toResume.Count > 0)
        {
            _consumer.Resume(toResume);
            KafkaConsumerLog.FlowChanged(_logger, _name, "resumed", $"{toResume.Count} partition(s)");
        }
    }

    private string Reason(int count) =>
        _userPaused ? "the Paused option is set"
        : _capacityPaused ? $"MaxBufferedMessages ({_options.MaxBufferedMessages}) reached"
        : $"{count} partition(s) halted by the Stop policy";
}
