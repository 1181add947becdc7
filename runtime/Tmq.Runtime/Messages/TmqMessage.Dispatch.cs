using System.Diagnostics;
using Tmq.Dispatch;

namespace Tmq;

// The engine's bookkeeping lives on the message itself (intrusive lists), so dispatching a message
// allocates nothing beyond it. Every field here is read and written only under the engine's lock.
public sealed partial class TmqMessage
{
    internal TmqMessage? Next;
    internal TmqMessage? Prev;

    /// <summary>The next message of the same partition in offset order (<see cref="OutstandingQueue"/>).</summary>
    internal TmqMessage? NextOutstanding;
    internal TmqMessage? PrevOutstanding;
    internal PartitionState? Owner;
    internal KeyState? OrderKey;
    internal MessageState State;

    /// <summary>The next run writes the dead letter instead of calling the handler.</summary>
    internal bool DeadLetterPending;

    internal int DeadLetterWrites;

    /// <summary>
    /// Why the transport could not read this message (Kafka: a corrupt or undecompressable record
    /// batch); null for every message it could read. Such a message never reaches the handler: it
    /// fails at once, for good (see <c>DispatchEngine.RunAsync</c>), and is dead-lettered or stops its partition.
    /// </summary>
    internal Exception? ReadFailure;
    internal Exception? LastError;

    /// <summary>The process span of the last failed attempt, the parent of the dead-letter write's span; null when nobody traces.</summary>
    internal Activity? FailedAttempt;
    internal ITimer? RetryTimer;

    // When the retry timer falls due (TimeProvider timestamp), while in RetryWait.
    internal long RetryDue;

    /// <summary>
    /// The token the handler gets, when the transport gives this message one of its own (NSQ: fires
    /// when the message can no longer be kept in flight). It must also fire when the partition's
    /// token does. Default: the partition's token.
    /// </summary>
    internal CancellationToken HandlerToken;
}
