using Tmq.Nsq.Protocol;

namespace Tmq.Nsq.Connection;

// Commands, from any thread. Each returns false when the connection is closed (nothing was sent).
internal sealed partial class NsqConnection
{
    public bool Subscribe(string topic, string channel) => Send(w => Command.Sub(w, topic, channel));

    public bool Ready(long count)
    {
        lock (_sendGate)
        {
            if (IsClosed)
            {
                return false;
            }

            Command.Rdy(_pending, count);
        }

        return Signal();
    }

    public bool Finish(ReadOnlySpan<byte> id)
    {
        lock (_sendGate)
        {
            if (IsClosed)
            {
                return false;
            }

            Command.Fin(_pending, id);
        }

        return Signal();
    }

    public bool Requeue(ReadOnlySpan<byte> id, long delayMilliseconds)
    {
        lock (_sendGate)
        {
            if (IsClosed)
            {
                return false;
            }

            Command.Req(_pending, id, delayMilliseconds);
        }

        return Signal();
    }

    public bool Touch(ReadOnlySpan<byte> id)
    {
        lock (_sendGate)
        {
            if (IsClosed)
            {
                return false;
            }

            Command.Touch(_pending, id);
        }

        return Signal();
    }

    public bool Nop() => Send(Command.Nop);

    /// <summary>CLS: nsqd answers CLOSE_WAIT and sends no more messages; in-flight ones may still be FINed or REQed.</summary>
    public bool StartClose() => Send(Command.Cls);

    /// <summary>
    /// Appends a command under the send lock and wakes the write loop. <paramref name="write"/> runs
    /// under the lock, so it must only write. Responses come back in order through
    /// <see cref="INsqConnectionHandler.OnResponse"/>; a caller that waits for its answer registers
    /// the wait inside <paramref name="write"/> so that the order of waits matches the order sent.
    /// </summary>
    public bool Send(Action<System.Buffers.IBufferWriter<byte>> write)
    {
        lock (_sendGate)
        {
            if (IsClosed)
            {
                return false;
            }

            write(_pending);
        }

        return Signal();
    }

    private bool Signal()
    {
        try
        {
            if (_writeSignal.CurrentCount == 0)
            {
                _writeSignal.Release();
            }
        }
        catch (SemaphoreFullException)
        {
            // Another sender woke the write loop between the check and the release.
        }
        catch (ObjectDisposedException)
        {
            return false;
        }

        return true;
    }
}
