using Confluent.Kafka;

namespace Tmq.Kafka;

// The lag gauge: messages behind the end of each assigned partition. Poll thread only.
internal sealed partial class KafkaConsumerLoop
{
    /// <summary>How often the broker is asked what fetching does not tell (see <see cref="UpdateLag"/>).</summary>
    private static readonly TimeSpan LagQueryInterval = TimeSpan.FromSeconds(5);
    private static readonly TimeSpan LagQueryTimeout = TimeSpan.FromMilliseconds(500);

    // Per partition, while nothing of it has been received: where consuming starts (the committed
    // offset, else where auto.offset.reset points). This consumer makes the only commits meanwhile.
    private readonly Dictionary<int, long> _startOffsets = [];

    // Per partition that is paused or not yet fetched: its end as the broker last reported it.
    private readonly Dictionary<int, long> _queriedEnds = [];
    private long? _lagQueried;

    // Where a partition without a committed offset starts (auto.offset.reset): its end, or else its oldest message.
    private readonly bool _resetToLatest;

    /// <summary>
    /// A partition's end comes from its fetches, and its position from the engine. Neither is known
    /// for a partition that is paused (no fetch refreshes its end) or has delivered nothing yet (no
    /// position): those are asked of the broker every <see cref="LagQueryInterval"/>, so that the
    /// gauge shows messages piling up while the consumer is paused, from its start if need be.
    /// </summary>
    private void UpdateLag()
    {
        if (_assigned.Count == 0)
        {
            Volatile.Write(ref _lag, []);
            return;
        }

        // One unanswered query ends the round: the poll thread waits LagQueryTimeout at most once.
        var query = _lagQueried is not { } last || _time.GetElapsedTime(last) >= LagQueryInterval;
        if (query)
        {
            _lagQueried = _time.GetTimestamp();
            query = QueryStartOffsets();
        }

        var lag = new List<(int, long)>(_assigned.Count);
        foreach (var (partition, state) in _assigned)
        {
            var topicPartition = new TopicPartition(_options.Topic, partition);
            var end = _consumer.GetWatermarkOffsets(topicPartition).High.Value;
            if (_paused.Contains(partition) || end < 0)
            {
                if (query)
                {
                    if (QueryWatermarks(topicPartition) is { } watermarks)
                    {
                        _queriedEnds[partition] = watermarks.High.Value;
                    }
                    else
                    {
                        query = false;
                    }
                }

                if (!_queriedEnds.TryGetValue(partition, out end))
                {
                    continue;
                }
            }

            var position = _engine.PositionOf(state);
            if (position >= 0 || _startOffsets.TryGetValue(partition, out position))
            {
                lag.Add((partition, Math.Max(0, end - position)));
            }
        }

        Volatile.Write(ref _lag, [.. lag]);
    }

    /// <summary>Reads where consuming starts for the partitions that have delivered nothing yet; false when the broker did not answer.</summary>
    private bool QueryStartOffsets()
    {
        var unknown = _assigned
            .Where(p => !_startOffsets.ContainsKey(p.Key) && _engine.PositionOf(p.Value) < 0)
            .Select(p => new TopicPartition(_options.Topic, p.Key))
            .ToList();
        if (unknown.Count == 0)
        {
            return true;
        }

        try
        {
            foreach (var committed in _consumer.Committed(unknown, LagQueryTimeout))
            {
                var start = committed.Offset.Value;
                if (start < 0)
                {
                    if (QueryWatermarks(committed.TopicPartition) is not { } watermarks)
                    {
                        return false;
                    }

                    start = _resetToLatest ? watermarks.High.Value : watermarks.Low.Value;
                }

                _startOffsets[committed.Partition.Value] = start;
            }

            return true;
        }
        catch (KafkaException)
        {
            // The broker did not answer in time: no series for these partitions until it does.
            return false;
        }
    }

    private WatermarkOffsets? QueryWatermarks(TopicPartition partition)
    {
        try
        {
            return _consumer.QueryWatermarkOffsets(partition, LagQueryTimeout);
        }
        catch (KafkaException)
        {
            return null;
        }
    }

    /// <summary>Forgets what was asked of the broker for partitions this consumer no longer holds.</summary>
    private void ForgetLag(int partition)
    {
        _startOffsets.Remove(partition);
        _queriedEnds.Remove(partition);
    }
}
