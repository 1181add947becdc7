namespace Tmq.Tests.Fakes;

/// <summary>A dead-letter destination that fails its first <c>failures</c> writes.</summary>
internal sealed class FailingDeadLetterSink(int failures) : IDeadLetterSink
{
    private int _calls;

    public int Calls => Volatile.Read(ref _calls);

    public Task WriteAsync(DeadLetterRecord record, CancellationToken cancellationToken)
    {
        var call = Interlocked.Increment(ref _calls);
        return call <= failures
            ? Task.FromException(new IOException($"dead-letter destination unavailable (write {call})"))
            : Task.CompletedTask;
    }
}
