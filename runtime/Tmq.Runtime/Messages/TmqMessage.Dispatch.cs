using Tmq.Dispatch;

namespace Tmq;

// The engine's bookkeeping lives on the message itself (intrusive lists), so dispatching a message
// allocates nothing beyond it. Every field here is read and written only under the engine's lock.
public sealed partial class TmqMessage
{
    internal TmqMessage? Next;
    internal TmqMessage? Prev;
    internal PartitionState? Owner;
    internal KeyState? OrderKey;
    internal MessageState State;

    /// <summary>The next run writes the dead letter instead of calling the handler.</summary>
    internal bool DeadLetterPending;

    internal int DeadLetterWrites;
    internal Exception? LastError;
    internal ITimer? RetryTimer;
}
