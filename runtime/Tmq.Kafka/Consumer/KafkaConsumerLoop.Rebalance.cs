using Confluent.Kafka;
using Microsoft.Extensions.Logging;
using Tmq.Dispatch;
using Tmq.Telemetry;

namespace Tmq.Kafka;

// Rebalance callbacks and the engine's transport callbacks. The rebalance ones run on the poll
// thread inside Consume; the engine's run on worker or timer threads and only set flags.
internal sealed partial class KafkaConsumerLoop
{
    public void OnCapacityAvailable()
    {
        Volatile.Write(ref _capacityReturned, 1);
        Wake();
    }

    public void OnSettled(PartitionState partition, TmqMessage message, MessageOutcome outcome, TimeSpan requeueDelay)
    {
        // Kafka commits positions, not messages: the poll thread collects them.
    }

    public void OnPartitionStopped(PartitionState partition)
    {
        _status.HasStoppedPartitions = true;
        lock (_stoppedPartitions)
        {
            _stoppedPartitions.Add(partition.Partition);
        }

        Volatile.Write(ref _flowDirty, 1);
        Wake();
    }

    private void OnAssigned(List<TopicPartition> partitions) => Guard(nameof(OnAssigned), () => Assign(partitions));

    private void OnRevoked(List<TopicPartitionOffset> partitions) => Guard(nameof(OnRevoked), () => Revoke(partitions));

    private void OnLost(List<TopicPartitionOffset> partitions) => Guard(nameof(OnLost), () => Lose(partitions));

    /// <summary>
    /// An exception thrown into librdkafka from a rebalance callback would fail the rebalance
    /// (and, inside close, repeat it forever): log it and fail the consumer instead.
    /// </summary>
    private void Guard(string callback, Action action)
    {
        try
        {
            action();
        }
        catch (Exception ex)
        {
            KafkaConsumerLog.LoopFailed(_logger, ex, _name);
            _status.Fault = $"{callback} failed: {ex.Message}";
            if (!_stop.IsCancellationRequested)
            {
                _stop.Cancel();
                Fatal();
            }
        }
    }

    private void Assign(List<TopicPartition> partitions)
    {
        if (_shuttingDown)
        {
            // Shutting down while the group settles: take nothing on. Whatever is fetched for
            // these partitions is dropped uncommitted, so their next owner reads it.
            return;
        }

        foreach (var tp in partitions)
        {
            _assigned[tp.Partition.Value] = _engine.AddPartition(tp.Topic, tp.Partition.Value);
            _fresh.Add(tp.Partition.Value);
        }

        _status.Assigned = _assigned.Count;
        _flowDirty = 1;
        Count(RebalanceValues.Assigned);
        if (partitions.Count > 0)
        {
            // A cooperative rebalance tells every member what it gains, mostly nothing.
            KafkaConsumerLog.Assigned(_logger, _name, Describe(partitions));
        }

        CallListener(nameof(IRebalanceListener.OnAssignedAsync), static (l, p, t) => l.OnAssignedAsync(p, t), partitions);
    }

    private void Revoke(List<TopicPartitionOffset> partitions)
    {
        var topicPartitions = partitions.Select(p => p.TopicPartition).ToList();
        if (_shuttingDown)
        {
            // Drained already; commit while the partitions are still ours. Inside close, store
            // only: librdkafka commits stored offsets as it unassigns (see Close).
            var final = topicPartitions.Where(p => _finalPositions.ContainsKey(p.Partition.Value)).Select(p => _finalPositions[p.Partition.Value]).ToList();
            if (_closing || _abandoned)
            {
                Store(final);
            }
            else
            {
                Commit(final);
            }

            Take(topicPartitions);
        }
        else
        {
            var states = Take(topicPartitions);
            var positions = _engine.DrainAsync(states, _liveOptions().RevokeDrainTimeout).GetAwaiter().GetResult();
            if (TryCommit(positions, out _, logFailure: true))
            {
                KafkaConsumerLog.Revoked(_logger, _name, Describe(topicPartitions), Describe(positions));
            }
            else
            {
                KafkaConsumerLog.RevokedUncommitted(_logger, _name, Describe(topicPartitions), Describe(positions));
            }
        }

        Count(RebalanceValues.Revoked);
        CallListener(nameof(IRebalanceListener.OnRevokedAsync), static (l, p, t) => l.OnRevokedAsync(p, t), topicPartitions);
    }

    private void Lose(List<TopicPartitionOffset> partitions)
    {
        var topicPartitions = partitions.Select(p => p.TopicPartition).ToList();
        var states = Take(topicPartitions);
        if (!_shuttingDown)
        {
            _engine.Abandon(states);
        }

        Count(RebalanceValues.Lost);
        KafkaConsumerLog.Lost(_logger, _name, Describe(topicPartitions));
        CallListener(nameof(IRebalanceListener.OnLostAsync), static (l, p, t) => l.OnLostAsync(p, t), topicPartitions);
    }

    /// <summary>Removes partitions from this consumer's bookkeeping and returns their engine states.</summary>
    private List<PartitionState> Take(List<TopicPartition> partitions)
    {
        var states = new List<PartitionState>(partitions.Count);
        var removed = new HashSet<int>();
        foreach (var tp in partitions)
        {
            if (_assigned.Remove(tp.Partition.Value, out var state))
            {
                states.Add(state);
                removed.Add(tp.Partition.Value);
            }

            _paused.Remove(tp.Partition.Value);
            ForgetLag(tp.Partition.Value);
            _fresh.Remove(tp.Partition.Value);
            _hogs.Remove(tp.Partition.Value);
            _sought.Remove(tp.Partition.Value);
            _gapSeen.Remove(tp.Partition.Value);
        }

        if (_hogs.Count == 0)
        {
            // The paused gauge reads this; UpdateCapacity clears it only while a hog is left.
            Volatile.Write(ref _hogsPaused, false);
        }

        if (_overflow.Count > 0)
        {
            var keep = _overflow.Where(o => !removed.Contains(o.Partition.Partition)).ToList();
            _overflow.Clear();
            keep.ForEach(_overflow.Enqueue);

            // The loop waits for room only while a message is parked: with the parked messages of
            // these partitions gone, UpdateCapacity has nothing to admit and would not clear this.
            _full = HasParkedBesidesHogs();
        }

        _status.Assigned = _assigned.Count;
        return states;
    }

    private void OnError(Error error)
    {
        if (error.IsFatal)
        {
            KafkaConsumerLog.FatalError(_logger, _name, error.Code.ToString(), error.Reason);
            _status.Fault = $"{error.Code}: {error.Reason}";
            _stop.Cancel();
            Fatal();
        }
        else if (_repeats.Admit(LogLevel.Warning, error.Reason, out var reason))
        {
            KafkaConsumerLog.ClientError(_logger, _name, error.Code.ToString(), reason);
        }
    }

    private void CallListener(string callback, Func<IRebalanceListener, IReadOnlyList<KafkaPartition>, CancellationToken, Task> call, List<TopicPartition> partitions)
    {
        if (_listener is null)
        {
            return;
        }

        try
        {
            call(_listener, partitions.Select(p => new KafkaPartition(p.Topic, p.Partition.Value)).ToList(), CancellationToken.None).GetAwaiter().GetResult();
        }
        catch (Exception ex)
        {
            KafkaConsumerLog.ListenerFailed(_logger, ex, _name, callback);
        }
    }

    /// <summary>
    /// One per callback, whatever the number of partitions: the series counts rebalances. A
    /// cooperative rebalance calls OnAssigned on every member, with nothing gained as often as not.
    /// </summary>
    private void Count(string kind)
    {
        if (_metrics.Rebalances.Enabled)
        {
            var tags = new System.Diagnostics.TagList(_tags.AsSpan()) { { "tmq.rebalance", kind } };
            _metrics.Rebalances.Add(1, tags);
        }
    }

    private static string Describe(List<TopicPartition> partitions) =>
        partitions.Count == 0 ? "nothing" : string.Join(", ", partitions.Select(p => $"{p.Topic}[{p.Partition.Value}]"));
}
