using Tmq.Telemetry;

namespace Tmq.Dispatch;

// Giving partitions back: revoke (drain, then commit), loss (cancel, commit nothing), shutdown.
internal sealed partial class DispatchEngine
{
    /// <summary>
    /// Revoke: stops dispatching <paramref name="partitions"/>, drops their queued messages (but,
    /// where positions are committed, runs those below an offset already finished or running, as a
    /// shutdown does, without waiting for a retry that is not due yet), lets their running handlers
    /// finish within <paramref name="timeout"/>, then cancels the rest. Returns the final committable
    /// positions (cancelled work is not finished, so never passed). Called by the transport on its
    /// own thread; bounded by <paramref name="timeout"/> plus a short grace.
    /// </summary>
    /// <remarks>
    /// The gaps: a slow key leaves its next messages queued below later messages of faster keys
    /// that finished. Dropped, they would pin the committed position below that finished work, and
    /// the partition's next owner would handle all of it again: in KIP-848 rebalance storms, 7-135
    /// messages per storm came again that way while every worker kept running.
    /// </remarks>
    public Task<IReadOnlyList<PartitionPosition>> DrainAsync(IReadOnlyCollection<PartitionState> partitions, TimeSpan timeout) =>
        DrainAsync(partitions, timeout, retriesDueWithin: TimeSpan.Zero);

    // Where positions are committed, the gap messages run too, and the retries due within
    // retriesDueWithin; elsewhere every queued message is dropped.
    private async Task<IReadOnlyList<PartitionPosition>> DrainAsync(IReadOnlyCollection<PartitionState> partitions, TimeSpan timeout, TimeSpan retriesDueWithin)
    {
        ArgumentNullException.ThrowIfNull(partitions);
        var waits = Close(partitions, cancel: false, _commitsPositions ? TimestampAfter(retriesDueWithin) : null);
        if (waits.Count > 0)
        {
            var all = Task.WhenAll(waits);
            if (!await CompletesWithin(all, timeout))
            {
                Log.DrainTimedOut(_logger, _name, CountRunning(partitions), timeout);
                DropKept(partitions);
                foreach (var partition in partitions)
                {
                    partition.Cancel();
                }

                if (!await CompletesWithin(all, TmqDefaults.CancellationGrace))
                {
                    Log.HandlersAbandoned(_logger, _name, CountRunning(partitions));
                }
            }
        }

        var positions = new List<PartitionPosition>(partitions.Count);
        lock (_gate)
        {
            foreach (var partition in partitions)
            {
                if (partition.Retired)
                {
                    continue;
                }

                partition.Retired = true;
                partition.Idle = null;
                if (partition.Position >= 0)
                {
                    positions.Add(new PartitionPosition(partition.Topic, partition.Partition, partition.Position));
                }

                if (partition.Running == 0)
                {
                    partition.Dispose();
                }
            }
        }

        return positions;
    }

    /// <summary>
    /// Loss: the partitions already belong to someone else. Cancels their work at once and reports
    /// nothing for them, ever.
    /// </summary>
    public void Abandon(IReadOnlyCollection<PartitionState> partitions)
    {
        ArgumentNullException.ThrowIfNull(partitions);
        Close(partitions, cancel: true, fillGapsBefore: null);
        lock (_gate)
        {
            foreach (var partition in partitions)
            {
                partition.Retired = true;
                partition.Idle = null;
                if (partition.Running == 0)
                {
                    partition.Dispose();
                }
            }
        }
    }

    /// <summary>
    /// Shutdown: drains every partition within <paramref name="timeout"/>, stops the workers and
    /// returns the final positions. The transport must have stopped fetching first.
    /// </summary>
    /// <remarks>
    /// Like a revoke, a shutdown also runs the queued messages that sit below an offset already
    /// finished or running in their partition (a slow key leaves such gaps behind faster keys).
    /// Offsets are committed as a position, so without this every finished message above the gap
    /// would be handled again after the restart; with it, the final commit covers everything
    /// handled. Unlike a revoke, it also runs the retries that fall due within the timeout;
    /// messages waiting for a later retry, and everything above them, are not waited for.
    /// </remarks>
    public async Task<IReadOnlyList<PartitionPosition>> StopAsync(TimeSpan timeout)
    {
        PartitionState[] all;
        lock (_gate)
        {
            all = [.. _partitions];
        }

        var positions = await DrainAsync(all, timeout, retriesDueWithin: timeout);
        WorkerSignal[] idle;
        Task[] workers;
        lock (_gate)
        {
            _stopped = true;
            idle = [.. _idle];
            _idle.Clear();
            workers = [.. _workerTasks];
        }

        foreach (var signal in idle)
        {
            signal.Set();
        }

        _stopping.Cancel();
        await CompletesWithin(Task.WhenAll(workers), TmqDefaults.CancellationGrace);
        return positions;
    }

    /// <summary>
    /// Marks partitions closing and drops their queued work, except, with <paramref name="fillGapsBefore"/>
    /// (a TimeProvider timestamp: a shutdown's deadline, or now for a revoke), the messages below <see cref="GapLimitLocked"/>
    /// and the retries that fall due before the deadline. Returns tasks that complete when their
    /// running and kept work ends.
    /// </summary>
    private List<Task> Close(IReadOnlyCollection<PartitionState> partitions, bool cancel, long? fillGapsBefore)
    {
        var waits = new List<Task>();
        var wakes = new List<WorkerSignal>();
        var capacity = false;
        lock (_gate)
        {
            foreach (var partition in partitions)
            {
                if (partition.Closing)
                {
                    if (partition.Idle is { } pending)
                    {
                        waits.Add(pending.Task);
                    }

                    continue;
                }

                partition.Closing = true;
                _partitions.Remove(partition);
                UpdateShareLocked();
                // A stopped partition keeps nothing; a loss keeps nothing either.
                var deadline = fillGapsBefore is { } before && !partition.Stopped ? before : long.MinValue;
                var limit = GapLimitLocked(partition, deadline);
                foreach (var message in partition.Outstanding)
                {
                    // A retry that falls due within the drain runs too: dropping it would pin the
                    // commit below every later message already handled, and they would run again.
                    var keep = message.State switch
                    {
                        MessageState.Waiting or MessageState.Ready => message.Offset < limit,
                        MessageState.RetryWait => message.RetryDue <= deadline,
                        _ => false,
                    };
                    if (keep)
                    {
                        partition.Kept++;
                        continue;
                    }

                    capacity |= DropQueuedLocked(message, wakes);
                }

                if (partition.HasWork)
                {
                    partition.Idle = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
                    waits.Add(partition.Idle.Task);
                }
            }
        }

        if (cancel)
        {
            foreach (var partition in partitions)
            {
                partition.Cancel();
            }
        }

        foreach (var wake in wakes)
        {
            wake.Set();
        }

        FlushDropped();
        if (capacity)
        {
            NotifyCapacity();
        }

        return waits;
    }

    /// <summary>
    /// The offset below which a shutdown or revoke still runs queued messages: the highest offset finished,
    /// running or retried before <paramref name="deadline"/>, but never past a message parked or
    /// waiting for a retry due later. Nothing (long.MinValue) when the deadline is long.MinValue.
    /// </summary>
    private static long GapLimitLocked(PartitionState partition, long deadline)
    {
        if (deadline == long.MinValue)
        {
            return long.MinValue;
        }

        var high = long.MinValue;
        var blocked = long.MaxValue;
        foreach (var message in partition.Outstanding)
        {
            switch (message.State)
            {
                case MessageState.Running:
                case MessageState.Finished:
                case MessageState.RetryWait when message.RetryDue <= deadline:
                    high = message.Offset;
                    break;
                case MessageState.RetryWait:
                case MessageState.Parked:
                    blocked = Math.Min(blocked, message.Offset);
                    break;
            }
        }

        return Math.Min(high, blocked);
    }

    /// <summary>A drain ran out of time: the queued messages it kept are dropped too.</summary>
    private void DropKept(IReadOnlyCollection<PartitionState> partitions)
    {
        var wakes = new List<WorkerSignal>();
        var capacity = false;
        lock (_gate)
        {
            foreach (var partition in partitions)
            {
                if (partition.Kept == 0)
                {
                    continue;
                }

                foreach (var message in partition.Outstanding)
                {
                    capacity |= DropQueuedLocked(message, wakes);
                }

                partition.Kept = 0;
                partition.SignalIfIdle();
            }
        }

        foreach (var wake in wakes)
        {
            wake.Set();
        }

        FlushDropped();
        if (capacity)
        {
            NotifyCapacity();
        }
    }

    /// <summary>Drops a message that is not running. Messages promoted by the drop are later in offset order, so the caller's walk reaches them.</summary>
    private bool DropQueuedLocked(TmqMessage message, List<WorkerSignal> wakes)
    {
        switch (message.State)
        {
            case MessageState.Waiting:
                message.OrderKey!.Waiting.Remove(message);
                message.OrderKey = null;
                break;
            case MessageState.Ready:
                _ready.Remove(message);
                break;
            case MessageState.RetryWait:
            case MessageState.Parked:
                break;
            default:
                return false;
        }

        var capacity = DropLocked(message, out var wake);
        if (wake is not null)
        {
            wakes.Add(wake);
        }

        return capacity;
    }

    private int CountRunning(IReadOnlyCollection<PartitionState> partitions)
    {
        lock (_gate)
        {
            return partitions.Sum(static p => p.Running);
        }
    }

    /// <summary>The TimeProvider timestamp <paramref name="delay"/> from now, or long.MaxValue past it.</summary>
    private long TimestampAfter(TimeSpan delay)
    {
        var now = _time.GetTimestamp();
        var ticks = delay.TotalSeconds * _time.TimestampFrequency;
        return ticks >= long.MaxValue - now ? long.MaxValue : now + (long)ticks;
    }

    private async Task<bool> CompletesWithin(Task task, TimeSpan timeout)
    {
        try
        {
            await task.WaitAsync(timeout, _time).ConfigureAwait(false);
            return true;
        }
        catch (TimeoutException)
        {
            return false;
        }
    }
}
