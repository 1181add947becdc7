using System.Collections.Concurrent;

namespace Tmq.Tests.Fakes;

/// <summary>Named one-shot signals a handler sets and a test awaits (with a real-time ceiling).</summary>
internal sealed class Signals
{
    private readonly ConcurrentDictionary<string, TaskCompletionSource> _signals = new();

    public void Set(string name) => Get(name).TrySetResult();

    public Task WaitAsync(string name) => Get(name).Task.WaitAsync(TestTimeout.Default);

    public bool IsSet(string name) => Get(name).Task.IsCompleted;

    private TaskCompletionSource Get(string name) =>
        _signals.GetOrAdd(name, _ => new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously));
}
