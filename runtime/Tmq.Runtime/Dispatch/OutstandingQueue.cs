namespace Tmq.Dispatch;

/// <summary>
/// A partition's messages that are not yet committable, in offset order: a FIFO threaded through
/// <see cref="TmqMessage.NextOutstanding"/>. Unlike an array-backed queue it keeps no capacity after
/// a burst, so a partition costs nothing once its messages are done, however many partitions a
/// consumer has seen. Doubly linked: a transport that acknowledges each message (NSQ) takes a
/// finished message out at once, so one slow message does not keep every later one alive.
/// </summary>
internal sealed class OutstandingQueue
{
    private TmqMessage? _head;
    private TmqMessage? _tail;

    public TmqMessage? First => _head;

    public void Enqueue(TmqMessage message)
    {
        message.NextOutstanding = null;
        message.PrevOutstanding = _tail;
        if (_tail is null)
        {
            _head = message;
        }
        else
        {
            _tail.NextOutstanding = message;
        }

        _tail = message;
    }

    public TmqMessage Dequeue()
    {
        var first = _head ?? throw new InvalidOperationException("The queue is empty.");
        Remove(first);
        return first;
    }

    /// <summary>Unlinks <paramref name="message"/> wherever it is (it must be in this queue).</summary>
    public void Remove(TmqMessage message)
    {
        var previous = message.PrevOutstanding;
        var next = message.NextOutstanding;
        if (previous is null)
        {
            _head = next;
        }
        else
        {
            previous.NextOutstanding = next;
        }

        if (next is null)
        {
            _tail = previous;
        }
        else
        {
            next.PrevOutstanding = previous;
        }

        message.NextOutstanding = null;
        message.PrevOutstanding = null;
    }

    public Enumerator GetEnumerator() => new(_head);

    /// <summary>Walks the queue from the head; the queue must not change meanwhile.</summary>
    public struct Enumerator(TmqMessage? head)
    {
        private TmqMessage? _next = head;

        public TmqMessage Current { get; private set; } = null!;

        public bool MoveNext()
        {
            if (_next is null)
            {
                return false;
            }

            Current = _next;
            _next = _next.NextOutstanding;
            return true;
        }
    }
}
