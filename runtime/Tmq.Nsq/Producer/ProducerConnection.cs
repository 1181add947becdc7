using System.Buffers;
using Tmq.Nsq.Connection;
using Tmq.Nsq.Protocol;

namespace Tmq.Nsq.Producer;

/// <summary>
/// A publishing connection to one nsqd, opened on first use and again after it drops. nsqd answers
/// PUB, MPUB and DPUB in the order they were sent, so answers are matched to commands by a queue
/// filled under the connection's send lock; each connection has its own queue, so a command sent on
/// a new connection can never take the answer of one lost with the old.
/// </summary>
internal sealed class ProducerConnection(NsqAddress address, NsqConnectionSettings settings) : IAsyncDisposable
{
    private readonly Lock _gate = new();
    private Task<(NsqConnection Connection, Answers Answers)>? _connecting;
    private bool _disposed;

    public NsqAddress Address { get; } = address;

    /// <summary>Sends one command and returns nsqd's answer (OK, or an error frame).</summary>
    /// <exception cref="TimeoutException">No answer within <paramref name="timeout"/>; the connection is closed, since its answers can no longer be matched.</exception>
    /// <exception cref="AnswerLostException">The connection failed after the command was handed to it: nsqd may have it.</exception>
    /// <exception cref="IOException">The connection could not be opened or was closed before the command was sent.</exception>
    public async Task<Frame> SendAsync(Action<IBufferWriter<byte>> write, TimeSpan timeout, CancellationToken cancellationToken)
    {
        var (connection, answers) = await ConnectAsync(cancellationToken).ConfigureAwait(false);
        var answer = new TaskCompletionSource<Frame>(TaskCreationOptions.RunContinuationsAsynchronously);
        var sent = connection.Send(output =>
        {
            write(output);
            answers.Expect(answer);
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

    private Task<(NsqConnection Connection, Answers Answers)> ConnectAsync(CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            if (_connecting is { } existing && !existing.IsFaulted && !existing.IsCanceled && !(existing.IsCompletedSuccessfully && existing.Result.Connection.IsClosed))
            {
                return existing.WaitAsync(cancellationToken);
            }

            // Not the caller's token: one caller giving up must not fail the others waiting on this connect.
            _connecting = OpenAsync();
            return _connecting.WaitAsync(cancellationToken);
        }
    }

    private async Task<(NsqConnection, Answers)> OpenAsync()
    {
        var answers = new Answers(Address);
        var connection = await NsqConnection.ConnectAsync(Address.Host, Address.Port, settings, answers, CancellationToken.None).ConfigureAwait(false);
        return (connection, answers);
    }

    public async ValueTask DisposeAsync()
    {
        Task<(NsqConnection Connection, Answers Answers)>? connecting;
        lock (_gate)
        {
            _disposed = true;
            connecting = _connecting;
        }

        if (connecting is null)
        {
            return;
        }

        try
        {
            // Also a connect still under way: left alone, it would keep its socket and timers.
            var (connection, _) = await connecting.ConfigureAwait(false);
            await connection.CloseAfterFlushAsync(NsqDefaults.CloseFlushTimeout).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is IOException or System.Net.Sockets.SocketException or TimeoutException or NsqException or OperationCanceledException)
        {
            // It never opened: nothing to close.
        }
    }

    /// <summary>One connection's answers, in the order its commands were sent.</summary>
    private sealed class Answers(NsqAddress address) : INsqConnectionHandler
    {
        private readonly Lock _gate = new();
        private readonly Queue<TaskCompletionSource<Frame>> _waiting = new();
        private bool _closed;

        /// <summary>Registers the wait for the answer to a command being written now (under the connection's send lock).</summary>
        public void Expect(TaskCompletionSource<Frame> answer)
        {
            lock (_gate)
            {
                if (_closed)
                {
                    answer.TrySetException(new AnswerLostException($"The connection to nsqd {address} closed before it answered."));
                    return;
                }

                _waiting.Enqueue(answer);
            }
        }

        public void OnMessage(NsqConnection connection, NsqMessageFrame message) =>
            throw new NsqProtocolException($"nsqd {address} sent a message to a publishing connection, which subscribed to nothing.");

        public void OnResponse(NsqConnection connection, Frame frame)
        {
            if (frame.IsCloseWait)
            {
                return;
            }

            TaskCompletionSource<Frame>? answer;
            lock (_gate)
            {
                _waiting.TryDequeue(out answer);
            }

            if (answer is null)
            {
                throw new NsqProtocolException($"nsqd {address} sent \"{frame.Text}\", which answers no command sent.");
            }

            answer.TrySetResult(frame);
        }

        public void OnClosed(NsqConnection connection, Exception? error)
        {
            TaskCompletionSource<Frame>[] waiting;
            lock (_gate)
            {
                _closed = true;
                waiting = [.. _waiting];
                _waiting.Clear();
            }

            var failure = new AnswerLostException($"The connection to nsqd {address} closed before it answered{(error is null ? "" : ": " + error.Message)}; the message may have been written.", error);
            foreach (var answer in waiting)
            {
                answer.TrySetException(failure);
            }
        }
    }
}

/// <summary>A command was handed to a connection that then closed before nsqd answered: nsqd may have it.</summary>
internal sealed class AnswerLostException : IOException
{
    public AnswerLostException(string message)
        : base(message)
    {
    }

    public AnswerLostException(string message, Exception? innerException)
        : base(message, innerException)
    {
    }
}
