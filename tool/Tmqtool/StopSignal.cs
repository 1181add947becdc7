using System.Runtime.InteropServices;

namespace Tmqtool;

/// <summary>
/// Ctrl+C and SIGTERM as a cancellation token, for a verb that runs in the tool until stopped:
/// the first signal cancels <see cref="Token"/> instead of killing the process, so the verb can
/// put back what it holds and say what it did; a second one ends the process. Disposing stops listening.
/// </summary>
internal sealed class StopSignal : IDisposable
{
    private readonly CancellationTokenSource? _source;
    private readonly PosixSignalRegistration? _sigterm;
    private readonly ConsoleCancelEventHandler? _cancelKey;

    internal StopSignal(CancellationToken token) => Token = token;

    private StopSignal(CancellationTokenSource source)
    {
        _source = source;
        Token = source.Token;
        // The first signal asks the verb to stop cleanly; a second, while it is still stopping, ends the process as usual.
        _cancelKey = (_, e) =>
        {
            e.Cancel = !source.IsCancellationRequested;
            source.Cancel();
        };
        Console.CancelKeyPress += _cancelKey;
        _sigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, context =>
        {
            context.Cancel = !source.IsCancellationRequested;
            source.Cancel();
        });
    }

    internal CancellationToken Token { get; }

    internal static StopSignal FromProcess() => new(new CancellationTokenSource());

    public void Dispose()
    {
        if (_cancelKey is not null)
        {
            Console.CancelKeyPress -= _cancelKey;
        }

        _sigterm?.Dispose();
        _source?.Dispose();
    }
}
