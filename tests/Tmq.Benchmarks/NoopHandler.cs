using System.Diagnostics;

namespace Tmq.Benchmarks;

/// <summary>
/// The NSQ scenarios' handler: does nothing but count, and records when the first, the
/// <paramref name="steadyEnd"/>-th and the <paramref name="target"/>-th message were handled.
/// </summary>
internal sealed class NoopHandler(int target, int steadyEnd) : IMessageHandler
{
    private readonly TaskCompletionSource<long> _done = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private long _first;
    private long _steady;
    private int _count;

    /// <summary>The Stopwatch timestamp at which the target-th message was handled.</summary>
    public Task<long> Done => _done.Task;

    /// <summary>The Stopwatch timestamp at which the first message was handled (0 before).</summary>
    public long First => Volatile.Read(ref _first);

    /// <summary>The Stopwatch timestamp at which the <c>steadyEnd</c>-th message was handled (0 before).</summary>
    public long Steady => Volatile.Read(ref _steady);

    public int Count => Volatile.Read(ref _count);

    public Task HandleAsync(TmqMessage message, CancellationToken cancellationToken)
    {
        var count = Interlocked.Increment(ref _count);
        if (count == 1)
        {
            Volatile.Write(ref _first, Stopwatch.GetTimestamp());
        }

        if (count == steadyEnd)
        {
            Volatile.Write(ref _steady, Stopwatch.GetTimestamp());
        }

        if (count == target)
        {
            _done.TrySetResult(Stopwatch.GetTimestamp());
        }

        return Task.CompletedTask;
    }
}
