using Confluent.Kafka;
using Tmq.Dispatch;

namespace Tmq.Kafka;

// Commits and the shutdown sequence. Poll thread only.
internal sealed partial class KafkaConsumerLoop
{
    private void Shutdown()
    {
        _shuttingDown = true;
        _overflow.Clear();
        var pause = _assigned.Keys.Where(p => !_paused.Contains(p)).Select(p => new TopicPartition(_options.Topic, p)).ToList();
        if (pause.Count > 0)
        {
            _consumer.Pause(pause);
        }

        var positions = _engine.StopAsync(_options.ShutdownTimeout).GetAwaiter().GetResult();
        foreach (var position in positions)
        {
            _finalPositions[position.Partition] = position;
        }

        // A concurrent rebalance (another member joining or leaving) makes the broker refuse
        // commits until it completes; polling lets it complete (every partition is paused, so no
        // message is fetched), and a revoke meanwhile commits from _finalPositions.
        var deadline = _time.GetTimestamp();
        while (!TryCommit(positions, out var retriable, logFailure: false) && retriable && _time.GetElapsedTime(deadline) < CommitRetryWindow)
        {
            _consumer.Consume(PausedPollTimeout);
            positions = [.. _finalPositions.Values.Where(p => _assigned.ContainsKey(p.Partition))];
        }

        // One last try, logged if refused; the positions are stored, and librdkafka commits stored
        // offsets when it closes, as a last chance.
        if (positions.Count > 0)
        {
            TryCommit(positions, out _, logFailure: true);
        }

        KafkaConsumerLog.Stopped(_logger, _name, Describe(positions));
        _assigned.Clear();
        _status.Assigned = 0;
        _consumer.Close();
    }

    /// <summary>Leaves the group after the loop failed, committing nothing more; the engine's work is cancelled.</summary>
    private void CloseAfterFailure()
    {
        _shuttingDown = true;
        _assigned.Clear();
        try
        {
            _engine.StopAsync(TimeSpan.FromMilliseconds(1)).GetAwaiter().GetResult();
        }
        catch (ObjectDisposedException)
        {
            // Already stopped.
        }

        try
        {
            _consumer.Close();
        }
        catch (KafkaException ex)
        {
            KafkaConsumerLog.ClientError(_logger, _name, ex.Error.Code.ToString(), ex.Error.Reason);
        }
    }

    private void Commit(IReadOnlyList<PartitionPosition> positions) => TryCommit(positions, out _, logFailure: true);

    /// <summary>
    /// Stores then commits <paramref name="positions"/> synchronously. Stored offsets are a second
    /// chance: librdkafka commits them when the partitions are unassigned or the consumer closes.
    /// </summary>
    private bool TryCommit(IReadOnlyList<PartitionPosition> positions, out bool retriable, bool logFailure)
    {
        retriable = false;
        if (positions.Count == 0)
        {
            return true;
        }

        var offsets = positions.Select(p => new TopicPartitionOffset(p.Topic, p.Partition, p.Offset)).ToList();
        foreach (var offset in offsets)
        {
            try
            {
                _consumer.StoreOffset(offset);
            }
            catch (KafkaException)
            {
                // No longer assigned: the explicit commit below reports it.
            }
        }

        try
        {
            _consumer.Commit(offsets);
            return true;
        }
        catch (KafkaException ex)
        {
            retriable = ex.Error.Code is ErrorCode.RebalanceInProgress or ErrorCode.Local_WaitCoord or ErrorCode.GroupLoadInProgress or ErrorCode.NotCoordinatorForGroup or ErrorCode.IllegalGeneration;
            if (logFailure)
            {
                KafkaConsumerLog.CommitFailed(_logger, _name, Describe(positions), ex.Error.Reason);
            }

            return false;
        }
    }
}
