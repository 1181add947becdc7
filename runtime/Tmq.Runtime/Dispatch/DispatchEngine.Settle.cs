using Tmq.Telemetry;

namespace Tmq.Dispatch;

// How a running message leaves the Running state: finished, waiting for a retry, parked, or dropped.
internal sealed partial class DispatchEngine
{
    /// <summary>
    /// The message reached its final outcome. With <paramref name="worker"/> (the worker that ran it),
    /// the worker also takes its next ready message under the same lock (<see cref="WorkerSignal.Next"/>):
    /// a fast handler's worker then takes the engine lock once per message instead of twice.
    /// </summary>
    private void Finish(TmqMessage message, MessageOutcome outcome, TimeSpan requeueDelay, WorkerSignal? worker = null)
    {
        var partition = message.Owner!;
        WorkerSignal? wake;
        bool capacity;
        lock (_gate)
        {
            EndRunLocked(partition);
            message.State = MessageState.Finished;
            message.LastError = null;
            wake = ReleaseKeyLocked(message);
            capacity = LeaveBufferLocked(partition);
            if (_commitsPositions)
            {
                AdvanceLocked(partition, message);
            }
            else
            {
                partition.Outstanding.Remove(message);
                message.Owner = null;
            }

            _settled++;
            if (worker is not null && !_stopped && _workers <= _targetWorkers)
            {
                wake = TakeNextLocked(worker, wake);
            }
        }

        wake?.Set();
        if (capacity)
        {
            NotifyCapacity();
        }

        if (outcome == MessageOutcome.Handled)
        {
            CountOutcome(Outcome.Success);
        }

        try
        {
            _transport.OnSettled(partition, message, outcome, requeueDelay);
        }
        catch (Exception ex)
        {
            Log.TransportCallbackFailed(_logger, ex, _name, nameof(IDispatchTransport.OnSettled));
        }
    }

    /// <summary>
    /// A worker that has just settled a message takes the next ready one. <paramref name="wake"/> is the
    /// idle worker the settling woke, if any (the key's next message became ready): it is not woken
    /// when this worker took the last ready message, and one is woken when ready work remains.
    /// </summary>
    private WorkerSignal? TakeNextLocked(WorkerSignal worker, WorkerSignal? wake)
    {
        worker.Next = TakeReadyLocked();
        if (worker.Next is null || _ready.Count > 0)
        {
            return wake ?? (_ready.Count > 0 ? WakeOneLocked() : null);
        }

        if (wake is not null)
        {
            // Not set yet, so it is still parked: back on top of the stack it came from.
            _idle.Push(wake);
            _waking = null;
        }

        return null;
    }

    /// <summary>The message waits for <paramref name="delay"/>, keeping its key, then becomes ready again.</summary>
    private void ScheduleRetry(TmqMessage message, TimeSpan delay, bool nextAttempt)
    {
        var partition = message.Owner!;
        WorkerSignal? wake = null;
        bool capacity = false;
        lock (_gate)
        {
            EndRunLocked(partition);
            if (partition.Closing)
            {
                // A revoke or shutdown is draining this partition: the new owner retries it.
                capacity = DropLocked(message, out wake);
            }
            else
            {
                if (nextAttempt)
                {
                    message.Attempt++;
                }

                if (delay <= TimeSpan.Zero)
                {
                    wake = MakeReadyLocked(message);
                }
                else
                {
                    message.State = MessageState.RetryWait;
                    message.RetryDue = TimestampAfter(delay);
                    _retryWaiting++;
                    // A TimeProvider timer with a positive due time never fires synchronously,
                    // so creating it under the lock cannot re-enter.
                    message.RetryTimer = _time.CreateTimer(
                        static state =>
                        {
                            var (engine, due) = ((DispatchEngine, TmqMessage))state!;
                            engine.OnRetryDue(due);
                        },
                        (this, message),
                        delay,
                        Timeout.InfiniteTimeSpan);
                }
            }
        }

        wake?.Set();
        FlushDropped();
        if (capacity)
        {
            NotifyCapacity();
        }
    }

    private void OnRetryDue(TmqMessage message)
    {
        WorkerSignal? wake;
        lock (_gate)
        {
            if (message.State != MessageState.RetryWait)
            {
                return;
            }

            message.RetryTimer?.Dispose();
            message.RetryTimer = null;
            _retryWaiting--;
            wake = MakeReadyLocked(message);
        }

        wake?.Set();
    }

    /// <summary>
    /// Stop policy: the message keeps its key and its partition halts. Unless the partition is being
    /// given up (a revoke, a loss, a shutdown; its handler may have failed because the drain cancelled
    /// it): there is nothing of this consumer's to halt then, and halting would pause the partition
    /// when it comes back. The message is left unfinished, as a retry would be, for the next reader.
    /// </summary>
    private void Park(TmqMessage message, Exception error)
    {
        var partition = message.Owner!;
        bool closing;
        lock (_gate)
        {
            closing = partition.Closing;
            if (!closing)
            {
                EndRunLocked(partition);
                message.State = MessageState.Parked;
                message.LastError = error;
                partition.Stopped = true;
                HasStoppedPartitions = true;
            }
        }

        if (closing)
        {
            Log.StopOnClosingPartition(_logger, error, _name, message.Position, message.Attempt);
            Abandon(message);
            return;
        }

        CountOutcome(Outcome.Stopped);
        Log.PartitionStopped(_logger, error, _name, message.Topic, message.Partition, message.Offset, message.Attempt);
        try
        {
            _transport.OnPartitionStopped(partition);
        }
        catch (Exception ex)
        {
            Log.TransportCallbackFailed(_logger, ex, _name, nameof(IDispatchTransport.OnPartitionStopped));
        }
    }

    /// <summary>A running message was cancelled by a drain: unfinished, redelivered later.</summary>
    private void Abandon(TmqMessage message)
    {
        var partition = message.Owner!;
        WorkerSignal? wake;
        bool capacity;
        lock (_gate)
        {
            EndRunLocked(partition);
            capacity = DropLocked(message, out wake);
        }

        wake?.Set();
        FlushDropped();
        if (capacity)
        {
            NotifyCapacity();
        }
    }

    /// <summary>Tells the transport about the messages dropped since the last call. Outside the lock.</summary>
    private void FlushDropped()
    {
        List<TmqMessage>? dropped;
        lock (_gate)
        {
            dropped = _dropped;
            _dropped = null;
        }

        if (dropped is null)
        {
            return;
        }

        foreach (var message in dropped)
        {
            try
            {
                _transport.OnDropped(message.Owner!, message);
            }
            catch (Exception ex)
            {
                Log.TransportCallbackFailed(_logger, ex, _name, nameof(IDispatchTransport.OnDropped));
            }
        }
    }

    /// <summary>Removes an unfinished message from the engine. It stays in its partition's queue, pinning the position.</summary>
    private bool DropLocked(TmqMessage message, out WorkerSignal? wake)
    {
        if (message.State == MessageState.RetryWait)
        {
            _retryWaiting--;
        }

        message.State = MessageState.Dropped;
        message.RetryTimer?.Dispose();
        message.RetryTimer = null;
        (_dropped ??= []).Add(message);
        wake = ReleaseKeyLocked(message);
        return LeaveBufferLocked(message.Owner!);
    }

    private void EndRunLocked(PartitionState partition)
    {
        partition.Running--;
        _running--;
        if (partition.Running == 0)
        {
            partition.SignalIfIdle();
            if (partition.Retired)
            {
                partition.Dispose();
            }
        }
    }
}
