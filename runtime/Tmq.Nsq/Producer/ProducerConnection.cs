using System.Buffers;
using Tmq.Nsq.Connection;
using Tmq.Nsq.Protocol;

namespace Tmq.Nsq.Producer;

/// <summary>
/// A publishing connection to one nsqd, opened on first use and again after it drops. nsqd answers
/// PUB, MPUB and DPUB in the order they were sent, so answers are matched to commands by a queue
/// filled under the connection's send lock.
/// </summary>
internal sealed class ProducerConnection(NsqAddress address, NsqConnectionSettings settings) : INsqConnectionHandler, IAsyncDisposable
{
    private readonly Lock _gate = new();
    private readonly Queue<TaskCompletionSource<Frame>> _answers = new();
    private Task<NsqConnection>? _connecting;
    private bool _disposed;

    public NsqAddress Address { get; } = address;

    /// <summary>Sends one command and returns nsqd's answer (OK, or an error frame).</summary>
    /// <exception cref="TimeoutException">No answer within <paramref name="timeout"/>; the connection is closed, since its answers can no longer be matched.</exception>
    /// <exception cref="IOException">The connection failed before the answer came.</exception>
    public async Task<Frame> SendAsync(Action<IBufferWriter<byte>> write, TimeSpan timeout, CancellationToken cancellationToken)
    {
        var connection = await ConnectAsync(cancellationToken).ConfigureAwait(false);
        var answer = new TaskCompletionSource<Frame>(TaskCreationOptions.RunContinuationsAsynchronously);
        var sent = connection.Send(output =>
        {
            write(output);
            lock (_gate)
            {
                _answers.Enqueue(answer);
            }
        });
        if (!sent)
        {
            throw new IOException($"The connection to nsqd {Address} closed before the message was sent.");
        }

        try
        {
            return await answer.Task.WaitAsync(timeout, settings.TimeProvider, cancellationToken).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
            await connection.DisposeAsync().ConfigureAwait(false);
            throw new TimeoutException($"nsqd {Address} did not answer within {timeout.TotalSeconds:0.###} s; the message may or may not have been written.");
        }
    }

    private Task<NsqConnection> ConnectAsync(CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            if (_connecting is { } existing && !(existing.IsCompletedSuccessfully && existing.Result.IsClosed) && !existing.IsFaulted && !existing.IsCanceled)
            {
                return existing.WaitAsync(cancellationToken);
            }

            // Not the caller's token: one caller giving up must not fail the others waiting on this connect.
            _connecting = NsqConnection.ConnectAsync(Address.Host, Address.Port, settings, this, CancellationToken.None);
            return _connecting.WaitAsync(cancellationToken);
        }
    }

    public void OnMessage(NsqConnection connection, NsqMessageFrame message) =>
        throw new NsqProtocolException($"nsqd {Address} sent a message to a publishing connection, which subscribed to nothing.");

    public void OnResponse(NsqConnection connection, Frame frame)
    {
        if (frame.IsCloseWait)
        {
            return;
        }

        TaskCompletionSource<Frame>? answer;
        lock (_gate)
        {
            _answers.TryDequeue(out answer);
        }

        if (answer is null)
        {
            throw new NsqProtocolException($"nsqd {Address} sent \"{frame.Text}\", which answers no command sent.");
        }

        answer.TrySetResult(frame);
    }

    public void OnClosed(NsqConnection connection, Exception? error)
    {
        TaskCompletionSource<Frame>[] waiting;
        lock (_gate)
        {
            waiting = [.. _answers];
            _answers.Clear();
        }

        var failure = new IOException($"The connection to nsqd {Address} closed before it answered{(error is null ? "" : ": " + error.Message)}", error);
        foreach (var answer in waiting)
        {
            answer.TrySetException(failure);
        }
    }

    public async ValueTask DisposeAsync()
    {
        Task<NsqConnection>? connecting;
        lock (_gate)
        {
            _disposed = true;
            connecting = _connecting;
        }

        if (connecting is { IsCompletedSuccessfully: true })
        {
            await connecting.Result.CloseAfterFlushAsync(NsqDefaults.CloseFlushTimeout).ConfigureAwait(false);
        }
    }
}
