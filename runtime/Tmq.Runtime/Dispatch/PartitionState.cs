namespace Tmq.Dispatch;

/// <summary>
/// One assigned partition (or, on NSQ, one connection): the handle a transport passes with every
/// message. Tracks outstanding messages in offset order; the committable position is the offset
/// of the oldest unfinished one. A new instance per assignment is the partition's epoch: work of
/// a revoked or lost assignment can finish late, but only touches its own, retired instance.
/// </summary>
internal sealed class PartitionState : IDisposable
{
    private readonly CancellationTokenSource _cancellation;

    private int _buffered;

    public PartitionState(string topic, int partition, CancellationToken stopping)
    {
        Topic = topic;
        Partition = partition;
        _cancellation = CancellationTokenSource.CreateLinkedTokenSource(stopping);
        Token = _cancellation.Token;
    }

    public string Topic { get; }

    /// <summary>The transport's own handle for this partition (NSQ: the connection it stands for).</summary>
    public object? Tag { get; set; }

    public int Partition { get; }

    /// <summary>Handed to handlers: fires when this assignment's work must stop (drain timeout, loss, shutdown).</summary>
    public CancellationToken Token { get; }

    /// <summary>Messages not yet committable, in offset order (finished ones leave from the head).</summary>
    public OutstandingQueue Outstanding { get; } = new();

    /// <summary>The key for partition ordering and for messages without a key.</summary>
    public KeyState OrderKey { get; } = new() { Pooled = false };

    /// <summary>Messages of this partition that a worker is running now.</summary>
    public int Running { get; set; }

    /// <summary>Finished messages still in <see cref="Outstanding"/>, behind an unfinished one (finished out of offset order).</summary>
    public int FinishedQueued { get; set; }

    /// <summary>This partition's messages in the engine's buffer. Written under the engine lock; read by the transport without it.</summary>
    public int Buffered
    {
        get => Volatile.Read(ref _buffered);
        set => Volatile.Write(ref _buffered, value);
    }

    /// <summary>
    /// While a shutdown drains this partition: queued messages it still runs because a later
    /// offset has already finished or started (see <c>DispatchEngine.StopAsync</c>).
    /// </summary>
    public int Kept { get; set; }

    /// <summary>One past the last offset enqueued; -1 before the first message.</summary>
    public long NextOffset { get; set; } = -1;

    /// <summary>The last position handed to the transport for committing.</summary>
    public long ReportedPosition { get; set; } = -1;

    /// <summary>Being drained or removed: accepts no messages and starts no new work.</summary>
    public bool Closing { get; set; }

    /// <summary>Drained or removed for good: its position is no longer reported, its late work changes nothing that counts.</summary>
    public bool Retired { get; set; }

    /// <summary>Halted by the Stop policy.</summary>
    public bool Stopped { get; set; }

    /// <summary>Completed when <see cref="Running"/> falls to zero while a drain waits.</summary>
    public TaskCompletionSource? Idle { get; set; }

    /// <summary>Running or kept messages remain: a drain of this partition is still waiting.</summary>
    public bool HasWork => Running > 0 || Kept > 0;

    /// <summary>Completes a waiting drain once neither running nor kept messages remain.</summary>
    public void SignalIfIdle()
    {
        if (!HasWork)
        {
            Idle?.TrySetResult();
        }
    }

    /// <summary>The lowest unfinished offset, or one past the last message when all are final; -1 when nothing was seen.</summary>
    public long Position => Outstanding.First is { } first ? first.Offset : NextOffset;

    public void Cancel()
    {
        try
        {
            _cancellation.Cancel();
        }
        catch (AggregateException)
        {
            // A handler's cancellation callback threw; the handler sees the cancellation regardless.
        }
    }

    public void Dispose() => _cancellation.Dispose();

    public override string ToString() => $"{Topic}[{Partition}]";
}
