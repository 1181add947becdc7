namespace Tmq.Dispatch;

/// <summary>
/// A doubly linked FIFO threaded through <see cref="TmqMessage.Next"/>/<see cref="TmqMessage.Prev"/>.
/// A message is in at most one list at a time (the ready list or one key's waiting list), so
/// adding and removing allocate nothing and removal from the middle is O(1).
/// </summary>
internal struct MessageList
{
    private TmqMessage? _head;
    private TmqMessage? _tail;

    public int Count { get; private set; }

    public readonly TmqMessage? First => _head;

    public void AddLast(TmqMessage message)
    {
        message.Next = null;
        message.Prev = _tail;
        if (_tail is null)
        {
            _head = message;
        }
        else
        {
            _tail.Next = message;
        }

        _tail = message;
        Count++;
    }

    public TmqMessage? RemoveFirst()
    {
        var first = _head;
        if (first is not null)
        {
            Remove(first);
        }

        return first;
    }

    public void Remove(TmqMessage message)
    {
        if (message.Prev is null)
        {
            _head = message.Next;
        }
        else
        {
            message.Prev.Next = message.Next;
        }

        if (message.Next is null)
        {
            _tail = message.Prev;
        }
        else
        {
            message.Next.Prev = message.Prev;
        }

        message.Next = null;
        message.Prev = null;
        Count--;
    }
}
