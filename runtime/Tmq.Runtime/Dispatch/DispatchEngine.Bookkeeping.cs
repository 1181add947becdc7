using Tmq.Telemetry;

namespace Tmq.Dispatch;

// Key hand-over, buffer accounting and position advance. Every *Locked method runs under _gate.
internal sealed partial class DispatchEngine
{
    /// <summary>Whether <paramref name="message"/> is ordered by its own key (not its partition's, not unordered).</summary>
    private bool OrdersByKey(TmqMessage message) => _ordering == OrderingMode.Key && !message.Key.IsEmpty;

    /// <summary>The key <paramref name="message"/> is ordered by; <paramref name="hash"/> is its <see cref="KeyTable.Hash"/> when <see cref="OrdersByKey"/>.</summary>
    private KeyState? ResolveKeyLocked(PartitionState partition, TmqMessage message, int hash) => _ordering switch
    {
        OrderingMode.None => null,
        OrderingMode.Key when !message.Key.IsEmpty => _keys.GetOrAdd(message.Key, hash),
        _ => partition.OrderKey,
    };

    /// <summary>Puts the holder of a key (or an unordered message) where a worker finds it. Returns a worker to wake.</summary>
    private WorkerSignal? MakeReadyLocked(TmqMessage message)
    {
        if (message.Owner!.Stopped)
        {
            message.State = MessageState.Parked;
            LeaveKeptLocked(message.Owner);
            return null;
        }

        message.State = MessageState.Ready;
        _ready.AddLast(message);
        return WakeOneLocked();
    }

    /// <summary>
    /// Returns an idle worker to wake, unless one is already on its way: that one takes a ready
    /// message when it runs and wakes the next while more are ready. So workers join one at a time
    /// as long as ready work outlasts them, and a fast handler keeps a few workers busy instead of
    /// waking one per message only for it to find the message taken (each wake is a thread-pool
    /// work item; a queue of them makes the pool add threads for nothing).
    /// </summary>
    private WorkerSignal? WakeOneLocked()
    {
        if (_waking is not null || _idle.Count == 0)
        {
            return null;
        }

        _waking = _idle.Pop();
        return _waking;
    }

    /// <summary>
    /// The key of <paramref name="message"/> passes to the next message waiting for it, if any.
    /// Returns a worker to wake.
    /// </summary>
    private WorkerSignal? ReleaseKeyLocked(TmqMessage message)
    {
        var key = message.OrderKey;
        message.OrderKey = null;
        if (key is null || !ReferenceEquals(key.Holder, message))
        {
            return null;
        }

        var next = key.Waiting.RemoveFirst();
        if (next is not null)
        {
            key.Holder = next;
            return MakeReadyLocked(next);
        }

        key.Holder = null;
        if (key.Pooled)
        {
            _keys.Release(key);
        }

        return null;
    }

    /// <summary>
    /// A queued message of a closing partition starts or parks. Only a shutdown's kept messages are
    /// still queued there, so the count of kept messages falls; the drain waits for it and for Running.
    /// </summary>
    private static void LeaveKeptLocked(PartitionState partition)
    {
        if (!partition.Closing || partition.Kept == 0)
        {
            return;
        }

        partition.Kept--;
        partition.SignalIfIdle();
    }

    /// <summary>A message leaves the buffer. Returns true when the transport should be told capacity is back.</summary>
    private bool LeaveBufferLocked(PartitionState partition)
    {
        partition.Buffered--;
        _buffered--;
        if (_awaitingCapacity && _buffered <= _lowWater)
        {
            _awaitingCapacity = false;
            return true;
        }

        return false;
    }

    /// <summary>
    /// <paramref name="finished"/> has just finished: drops it and the finished messages after it
    /// from the head of the partition's queue, when it was the head. The head is never finished at
    /// rest, so any other message finishing leaves the position where it is; and the messages after
    /// the head are read only while some of them are known to be finished (<see cref="PartitionState.FinishedQueued"/>):
    /// in the engine benchmark, reading the head's state was a third of the settling's time, the
    /// head having just been linked to by the fetch thread on the other core.
    /// </summary>
    private static void AdvanceLocked(PartitionState partition, TmqMessage finished)
    {
        var outstanding = partition.Outstanding;
        if (!ReferenceEquals(outstanding.First, finished))
        {
            partition.FinishedQueued++;
            return;
        }

        outstanding.Dequeue();
        finished.Owner = null;
        while (partition.FinishedQueued > 0 && outstanding.First is { State: MessageState.Finished } done)
        {
            outstanding.Dequeue();
            done.Owner = null;
            partition.FinishedQueued--;
        }
    }

    private void NotifyCapacity()
    {
        try
        {
            _transport.OnCapacityAvailable();
        }
        catch (Exception ex)
        {
            Log.TransportCallbackFailed(_logger, ex, _name, nameof(IDispatchTransport.OnCapacityAvailable));
        }
    }
}
