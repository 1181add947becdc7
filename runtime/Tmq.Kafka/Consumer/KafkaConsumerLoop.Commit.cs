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
        while (!TryCommit(positions, out var retriable, logFailure: false) && retriable && !_abandoned && _time.GetElapsedTime(deadline) < CommitRetryWindow)
        {
            PollForCallbacks();
            positions = [.. _finalPositions.Values.Where(p => _assigned.ContainsKey(p.Partition))];
        }

        // One last try, logged if refused; the positions are stored, and librdkafka commits stored
        // offsets when it closes, as a last chance. Skipped once the host has abandoned this loop.
        if (!_abandoned)
        {
            if (TryCommit(positions, out _, logFailure: true))
            {
                KafkaConsumerLog.Stopped(_logger, _name, Describe(positions));
            }
            else
            {
                KafkaConsumerLog.StoppedUncommitted(_logger, _name, Describe(positions));
            }
        }

        Leave();
        _assigned.Clear();
        _status.Assigned = 0;
        Close();
    }

    /// <summary>
    /// Unsubscribes and serves the resulting revoke (which commits) before the consumer closes,
    /// so that close finds nothing left to revoke.
    /// </summary>
    /// <remarks>
    /// Closing while the group still hands out partitions meets a librdkafka (2.16) race: a
    /// rebalance callback queued before close can be delivered after the group sub-system has
    /// terminated. Every group call made from it then goes unanswered, Confluent's own unassign
    /// included, and close blocks forever; a commit that arrives just before termination makes
    /// librdkafka abort the process (assertion in rd_kafka_cgrp_terminated). Both were seen with
    /// members leaving one after another. Leaving first takes close off that path; if leaving
    /// does not finish within <see cref="LeaveWindow"/>, close runs anyway (see <see cref="Close"/>).
    /// </remarks>
    private void Leave()
    {
        if (_abandoned)
        {
            return;
        }

        try
        {
            _consumer.Unsubscribe();
            var start = _time.GetTimestamp();
            while (!_abandoned && _time.GetElapsedTime(start) < LeaveWindow)
            {
                PollForCallbacks();
                if (_consumer.Assignment.Count == 0 && _consumer.Subscription.Count == 0)
                {
                    return;
                }
            }

            KafkaConsumerLog.LeaveSlow(_logger, _name, LeaveWindow.TotalSeconds);
        }
        catch (KafkaException ex)
        {
            KafkaConsumerLog.ClientError(_logger, _name, ex.Error.Code.ToString(), ex.Error.Reason);
        }
    }

    /// <summary>
    /// Polls during shutdown only to serve group callbacks. Messages that still arrive are dropped
    /// uncommitted (the next owner reads them), and so are consume errors: nothing is consumed any more.
    /// </summary>
    private void PollForCallbacks()
    {
        try
        {
            _consumer.Consume(PausedPollTimeout);
        }
        catch (ConsumeException)
        {
            // See above.
        }
    }

    /// <summary>
    /// Closes the consumer. Rebalance callbacks that run inside close only store offsets:
    /// librdkafka commits stored offsets itself as it unassigns, and an explicit commit issued
    /// while the group terminates is what makes librdkafka abort (see <see cref="Leave"/>).
    /// </summary>
    private void Close()
    {
        if (_closing)
        {
            return;
        }

        _closing = true;
        try
        {
            _consumer.Close();
        }
        catch (KafkaException ex)
        {
            // Raised by a rebalance step librdkafka refused while closing; the group is left anyway.
            KafkaConsumerLog.ClientError(_logger, _name, ex.Error.Code.ToString(), ex.Error.Reason);
        }
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

        Leave();
        Close();
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

        var offsets = Store(positions);
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

    /// <summary>Stores <paramref name="positions"/> for librdkafka's next commit, skipping partitions no longer assigned.</summary>
    private List<TopicPartitionOffset> Store(IReadOnlyList<PartitionPosition> positions)
    {
        var offsets = positions.Select(p => new TopicPartitionOffset(p.Topic, p.Partition, p.Offset)).ToList();
        foreach (var offset in offsets)
        {
            try
            {
                _consumer.StoreOffset(offset);
            }
            catch (KafkaException)
            {
                // No longer assigned: an explicit commit reports it; inside close there is nothing more to do.
            }
        }

        return offsets;
    }
}
