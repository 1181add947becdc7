using System.Buffers;
using System.IO.Pipelines;
using Tmq.Nsq.Protocol;

namespace Tmq.Nsq.Connection;

// The read loop, the write loop, the heartbeat watch, and closing.
internal sealed partial class NsqConnection
{
    private void Start()
    {
        _lastRead = _settings.TimeProvider.GetTimestamp();
        if (_settings.HeartbeatInterval > TimeSpan.Zero)
        {
            _heartbeatCheck = _settings.TimeProvider.CreateTimer(static s => ((NsqConnection)s!).CheckHeartbeat(), this, _settings.HeartbeatInterval, _settings.HeartbeatInterval);
        }

        _loops = RunAsync();
    }

    private async Task RunAsync()
    {
        Exception? error = null;
        try
        {
            var reading = Task.Run(ReadLoopAsync);
            var writing = Task.Run(WriteLoopAsync);
            var first = await Task.WhenAny(reading, writing).ConfigureAwait(false);
            error = await first.ConfigureAwait(false);
            Close(error);
            var other = await (first == reading ? writing : reading).ConfigureAwait(false);
            error ??= other;
            _heartbeatCheck?.Dispose();
            lock (_sendGate)
            {
                _drained?.TrySetResult();
            }

            await DisposeStreamsAsync().ConfigureAwait(false);
        }
        finally
        {
            // Whatever failed above, the socket goes and the owner hears of the close exactly once.
            _socket.Dispose();
            _closing.Dispose();
            try
            {
                _handler.OnClosed(this, error);
            }
            catch (Exception ex)
            {
                NsqLog.HandlerFailed(_settings.Logger, ex, Address, nameof(INsqConnectionHandler.OnClosed));
            }
        }
    }

    private async Task DisposeStreamsAsync()
    {
        try
        {
            await _input.DisposeAsync().ConfigureAwait(false);
            if (!ReferenceEquals(_input, _output))
            {
                await _output.DisposeAsync().ConfigureAwait(false);
            }
        }
        catch (Exception ex) when (ex is IOException or ObjectDisposedException or InvalidOperationException or NotSupportedException)
        {
            // A compressing stream flushes its tail on dispose; the socket is already gone.
        }
    }

    /// <summary>Returns the error that ended reading, or null when the connection was closed on purpose or by nsqd cleanly.</summary>
    private async Task<Exception?> ReadLoopAsync()
    {
        var reader = PipeReader.Create(_input, new StreamPipeReaderOptions(bufferSize: 64 * 1024, minimumReadSize: 16 * 1024, leaveOpen: true));
        var limit = NsqWire.FrameLimit(_settings.MaxMessageBytes);
        try
        {
            while (true)
            {
                var result = await reader.ReadAsync(_closing.Token).ConfigureAwait(false);
                var buffer = result.Buffer;
                Volatile.Write(ref _lastRead, _settings.TimeProvider.GetTimestamp());
                while (FrameReader.TryRead(ref buffer, limit, out var frame))
                {
                    Dispatch(frame);
                }

                reader.AdvanceTo(buffer.Start, buffer.End);
                if (result.IsCompleted)
                {
                    return buffer.IsEmpty || IsClosed ? null : new IOException($"nsqd at {Address} closed the connection in the middle of a frame.");
                }
            }
        }
        catch (OperationCanceledException) when (_closing.IsCancellationRequested)
        {
            return null;
        }
        catch (Exception ex)
        {
            // A closed socket fails the read: that is the close, not an error. Anything else
            // (a protocol violation, a fatal error frame, a handler that threw) is the reason.
            return IsClosed && ex is IOException or ObjectDisposedException && ex is not NsqProtocolException ? null : ex;
        }
        finally
        {
            await reader.CompleteAsync().ConfigureAwait(false);
        }
    }

    private void Dispatch(Frame frame)
    {
        switch (frame.Type)
        {
            case FrameType.Message:
                _handler.OnMessage(this, NsqMessageFrame.Parse(frame.Data));
                break;
            case FrameType.Response when frame.IsHeartbeat:
                Nop();
                break;
            case FrameType.Error:
                var error = NsqErrorFrame.Parse(frame.Data);
                if (error.IsFatal)
                {
                    _handler.OnResponse(this, frame);
                    throw new NsqException(error.Code, $"nsqd at {Address} sent the fatal error {error}; the connection is closed.");
                }

                NsqLog.NonFatalError(_settings.Logger, Address, error.ToString());
                _handler.OnResponse(this, frame);
                break;
            default:
                _handler.OnResponse(this, frame);
                break;
        }
    }

    private async Task<Exception?> WriteLoopAsync()
    {
        try
        {
            while (true)
            {
                await _writeSignal.WaitAsync(_closing.Token).ConfigureAwait(false);

                // Let the workers that finish at about the same time add their FINs: one write for
                // many instead of a wake-up and a write per message.
                await Task.Yield();
                ArrayBufferWriter<byte> batch;
                lock (_sendGate)
                {
                    batch = _pending;
                    _pending = _writing;
                    _writing = batch;
                }

                if (batch.WrittenCount > 0)
                {
                    await _output.WriteAsync(batch.WrittenMemory, _closing.Token).ConfigureAwait(false);
                    await _output.FlushAsync(_closing.Token).ConfigureAwait(false);
                    batch.ResetWrittenCount();
                }

                lock (_sendGate)
                {
                    if (_pending.WrittenCount == 0 && _drained is { } drained)
                    {
                        _drained = null;
                        drained.TrySetResult();
                    }
                }
            }
        }
        catch (OperationCanceledException) when (_closing.IsCancellationRequested)
        {
            return null;
        }
        catch (Exception ex)
        {
            return IsClosed && ex is IOException or ObjectDisposedException ? null : ex;
        }
    }

    private void CheckHeartbeat()
    {
        var silent = _settings.TimeProvider.GetElapsedTime(Volatile.Read(ref _lastRead));
        if (silent > _settings.HeartbeatInterval * 2)
        {
            NsqLog.HeartbeatMissed(_settings.Logger, Address, silent.TotalSeconds);
            Close(null);
        }
    }

    /// <summary>Stops both loops and closes the socket; the owner hears of it through <see cref="INsqConnectionHandler.OnClosed"/>.</summary>
    private void Close(Exception? reason)
    {
        if (Interlocked.Exchange(ref _closed, 1) != 0)
        {
            return;
        }

        if (reason is not null)
        {
            NsqLog.ConnectionFailed(_settings.Logger, Address, reason.Message);
        }

        try
        {
            _closing.Cancel();
            _socket.Shutdown(System.Net.Sockets.SocketShutdown.Both);
        }
        catch (Exception ex) when (ex is System.Net.Sockets.SocketException or ObjectDisposedException)
        {
            // Already gone.
        }
    }

    /// <summary>Closes the connection at once (nothing more is sent) and waits for the loops.</summary>
    public async ValueTask DisposeAsync()
    {
        Close(null);
        await _loops.ConfigureAwait(false);
    }

    /// <summary>Sends what is queued (within <paramref name="timeout"/>), then closes: a clean goodbye after CLS.</summary>
    public async Task CloseAfterFlushAsync(TimeSpan timeout)
    {
        Task? drained = null;
        lock (_sendGate)
        {
            if (!IsClosed && (_pending.WrittenCount > 0 || _writing.WrittenCount > 0))
            {
                _drained ??= new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
                drained = _drained.Task;
            }
        }

        if (drained is not null)
        {
            try
            {
                await drained.WaitAsync(timeout, _settings.TimeProvider).ConfigureAwait(false);
            }
            catch (TimeoutException)
            {
                // nsqd stopped reading: close regardless.
            }
        }

        await DisposeAsync().ConfigureAwait(false);
    }
}
