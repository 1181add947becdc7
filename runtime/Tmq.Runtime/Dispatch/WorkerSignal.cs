using System.Threading.Tasks.Sources;

namespace Tmq.Dispatch;

/// <summary>
/// A reusable wake-up for one idle worker: awaiting and setting it allocate nothing. The worker
/// resets it under the engine lock before parking; whoever pops it from the idle stack sets it once.
/// </summary>
internal sealed class WorkerSignal : IValueTaskSource
{
    private ManualResetValueTaskSourceCore<bool> _core = new() { RunContinuationsAsynchronously = true };

    /// <summary>
    /// The message this worker took, under the lock in which it settled its last one, to run next
    /// (see <c>DispatchEngine.Finish</c>). Only the worker itself reads and clears it.
    /// </summary>
    public TmqMessage? Next;

    public void Reset() => _core.Reset();

    public void Set() => _core.SetResult(true);

    public ValueTask WaitAsync() => new(this, _core.Version);

    public void GetResult(short token) => _core.GetResult(token);

    public ValueTaskSourceStatus GetStatus(short token) => _core.GetStatus(token);

    public void OnCompleted(Action<object?> continuation, object? state, short token, ValueTaskSourceOnCompletedFlags flags) =>
        _core.OnCompleted(continuation, state, token, flags);
}
