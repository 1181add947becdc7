using Microsoft.Extensions.Logging;
using Tmq.Telemetry;

namespace Tmq.Dispatch;

/// <summary>
/// Turns "messages arrive" into "the handler ran, in order, with retries, and the broker may now
/// forget them". Transport-neutral: Kafka, NSQ and the in-memory transport all drive it.
/// </summary>
/// <remarks>
/// <para><b>Concurrency model.</b> All state (key table, ready list, partition trackers, counters)
/// is guarded by one lock, <see cref="_gate"/>, held only for short, allocation-free bookkeeping and
/// never across a handler call, an await or a transport callback.</para>
/// <para><b>Who enqueues.</b> Exactly one thread per transport, its fetch thread, calls
/// <see cref="AddPartition"/> and <see cref="Enqueue"/>; it checks <see cref="HasCapacity"/> first and
/// pauses fetching while it is false. The engine never touches the broker client: it tells the
/// transport through <see cref="IDispatchTransport"/>, and the transport acts on its own thread.</para>
/// <para><b>Who runs handlers.</b> <c>Concurrency</c> worker loops on the thread pool. A worker takes
/// the first message of the ready list; a message is ready only when it is the oldest unfinished
/// message of its key (<see cref="KeyState.Holder"/>), so one key never runs twice at once, and a
/// busy or retrying key never blocks a free worker from other keys: there are no fixed lanes.
/// A retry waits on a <see cref="TimeProvider"/> timer without occupying a worker, still holding
/// its key so later messages of that key stay behind it.</para>
/// <para><b>Who completes a message.</b> Only the worker that ran it (or a drain, for work that
/// never started), under the lock: it moves the message to a final state, hands the key to the
/// next waiting message, and advances its partition's committable position.</para>
/// <para><b>Who decides commits.</b> Only <see cref="PartitionState.Position"/>: the oldest unfinished
/// offset of the partition. The transport reads positions (<see cref="CollectPositions"/>) and commits
/// them on its own thread; a drain returns the final ones. A revoked partition's state is retired and
/// never reported again, whatever its late handlers do.</para>
/// </remarks>
internal sealed partial class DispatchEngine : IDisposable
{
    private readonly Lock _gate = new();
    private readonly string _name;
    private readonly IMessageHandler _handler;
    private readonly IDeadLetterSink _deadLetters;
    private readonly IDispatchTransport _transport;
    private readonly Func<ConsumerOptions> _options;
    private readonly TimeProvider _time;
    private readonly Func<double> _random;
    private readonly ILogger _logger;
    private readonly TmqMetrics _metrics;
    private readonly OrderingMode _ordering;
    private readonly int _maxBuffered;
    private readonly int _lowWater;
    private readonly Func<TmqMessage, TimeSpan, bool>? _requeueRetry;
    private readonly bool _commitsPositions;
    private readonly string? _group;
    private readonly string? _system;
    private readonly string _deadLetterTopic;
    private readonly KeyValuePair<string, object?>[] _tags;
    private readonly long[] _outcomeTotals = new long[OutcomeValues.WithRequeue.Length];
    private readonly CancellationTokenSource _stopping = new();

    private readonly KeyTable _keys = new();
    private readonly List<PartitionState> _partitions = [];
    private readonly Stack<WorkerSignal> _idle = new();
    private readonly List<Task> _workerTasks = [];
    private MessageList _ready;

    // Messages dropped under the lock, for OnDropped once it is released (see FlushDropped).
    private List<TmqMessage>? _dropped;
    private int _buffered;
    private int _share;
    private int _running;
    private int _retryWaiting;
    private long _settled;
    private int _workers;

    // The idle worker woken for ready work and not yet running again: at most one at a time.
    private WorkerSignal? _waking;
    private int _targetWorkers;
    private bool _awaitingCapacity;
    private bool _stopped;

    public DispatchEngine(EngineSettings settings)
    {
        ArgumentNullException.ThrowIfNull(settings);
        var options = settings.Options();
        _name = settings.Name;
        _handler = settings.Handler;
        _deadLetters = settings.DeadLetters;
        _transport = settings.Transport;
        _options = settings.Options;
        _time = settings.TimeProvider;
        _random = settings.Random;
        _logger = settings.Logger;
        _metrics = settings.Metrics;
        _group = settings.Group;
        _system = settings.MessagingSystem;
        _requeueRetry = settings.RequeueRetry;
        _commitsPositions = settings.CommitsPositions;
        _ordering = options.Ordering;
        _maxBuffered = options.MaxBufferedMessages;
        _share = _maxBuffered;
        _lowWater = Math.Max(0, _maxBuffered / 2);
        _deadLetterTopic = options.DeadLetter.ResolveTopic(options.Topic);
        _targetWorkers = options.Concurrency;
        _tags =
        [
            new("tmq.consumer", _name),
            new("messaging.destination.name", options.Topic),
            new("messaging.consumer.group.name", _group),
            .. _system is { } system ? [new KeyValuePair<string, object?>("messaging.system", system)] : Array.Empty<KeyValuePair<string, object?>>(),
        ];
    }

    /// <summary>Fetched messages not yet final (queued, running, waiting for a retry or a dead-letter write, parked).</summary>
    public int Buffered => Volatile.Read(ref _buffered);

    /// <summary>Handler calls and dead-letter writes running now.</summary>
    public int Running => Volatile.Read(ref _running);

    /// <summary>Messages that reached a final outcome; each is counted before <see cref="IDispatchTransport.OnSettled"/> is called for it.</summary>
    public long Settled => Volatile.Read(ref _settled);

    /// <summary>Buffered level at which a full engine signals <see cref="IDispatchTransport.OnCapacityAvailable"/>: half of <c>MaxBufferedMessages</c>.</summary>
    public int LowWaterMark => _lowWater;

    /// <summary>False while <see cref="Buffered"/> is at <c>MaxBufferedMessages</c>.</summary>
    public bool HasCapacity => Volatile.Read(ref _buffered) < _maxBuffered;

    /// <summary>
    /// Whether the transport may enqueue a message of <paramref name="partition"/>: while the buffer
    /// has room, or while the partition holds less than its share of it (<c>MaxBufferedMessages</c>
    /// over the partitions held). So a partition whose backlog filled the buffer behind one slow or
    /// retrying key cannot keep the other partitions' messages out; the buffer then holds at most
    /// twice <c>MaxBufferedMessages</c>.
    /// </summary>
    public bool HasCapacityFor(PartitionState partition)
    {
        ArgumentNullException.ThrowIfNull(partition);
        return Volatile.Read(ref _buffered) < _maxBuffered || partition.Buffered < Volatile.Read(ref _share);
    }

    /// <summary>A partition's share of the buffer: <c>MaxBufferedMessages</c> over the partitions held.</summary>
    public int Share => Volatile.Read(ref _share);

    /// <summary>True once any partition was halted by the Stop policy.</summary>
    public bool HasStoppedPartitions { get; private set; }

    internal KeyValuePair<string, object?>[] Tags => _tags;

    /// <summary>The <c>tmq.outcome</c> values this engine may report: <c>requeue</c> only with a <see cref="EngineSettings.RequeueRetry"/>.</summary>
    internal IReadOnlyList<string> Outcomes => _requeueRetry is null ? OutcomeValues.InPlace : OutcomeValues.WithRequeue;

    /// <summary>Each of <see cref="Outcomes"/> with how many messages ended so since the engine was made.</summary>
    internal IEnumerable<(string Outcome, long Total)> OutcomeTotals() =>
        Outcomes.Select(o => (o, Volatile.Read(ref _outcomeTotals[Array.IndexOf(OutcomeValues.WithRequeue, o)])));

    /// <summary>Messages waiting for a retry timer.</summary>
    internal int RetryWaiting
    {
        get
        {
            lock (_gate)
            {
                return _retryWaiting;
            }
        }
    }

    /// <summary>
    /// Nothing is running, ready or waiting for a retry: every buffered message is finished or held
    /// behind a stopped partition. Only a new message or a revoke changes that. A transport that
    /// must also know it has heard of every outcome compares <see cref="Settled"/> with its own count.
    /// </summary>
    public bool IsQuiescent
    {
        get
        {
            lock (_gate)
            {
                return _ready.Count == 0 && _running == 0 && _retryWaiting == 0;
            }
        }
    }

    /// <summary>Starts the worker loops.</summary>
    public void Start()
    {
        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_stopped, this);
            SpawnWorkersLocked();
        }
    }

    /// <summary>Changes how many handler calls may run at once (live option).</summary>
    public void SetConcurrency(int concurrency)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(concurrency, 1);
        int old;
        List<WorkerSignal>? retire = null;
        lock (_gate)
        {
            old = _targetWorkers;
            if (old == concurrency || _stopped)
            {
                return;
            }

            _targetWorkers = concurrency;
            if (_workers > 0 || _workerTasks.Count > 0)
            {
                SpawnWorkersLocked();
            }

            if (concurrency < old)
            {
                retire = [.. _idle];
                _idle.Clear();
            }
        }

        retire?.ForEach(static s => s.Set());
        Log.ConcurrencyChanged(_logger, _name, old, concurrency);
    }

    /// <summary>Releases the shutdown token source. Call after <see cref="StopAsync"/>.</summary>
    public void Dispose() => _stopping.Dispose();

    /// <summary>Registers a newly assigned partition. Fetch thread only.</summary>
    public PartitionState AddPartition(string topic, int partition)
    {
        var state = new PartitionState(topic, partition, _stopping.Token);
        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_stopped, this);
            _partitions.Add(state);
            UpdateShareLocked();
        }

        return state;
    }

    /// <summary>
    /// Hands a fetched message to the engine. Fetch thread only, in offset order per partition,
    /// and only while <see cref="HasCapacity"/>.
    /// </summary>
    public void Enqueue(PartitionState partition, TmqMessage message)
    {
        WorkerSignal? wake = null;

        // Hashed before the lock, which the workers wait for meanwhile.
        var hash = OrdersByKey(message) ? KeyTable.Hash(message.Key.Span) : 0;
        lock (_gate)
        {
            if (partition.Closing || _stopped)
            {
                throw new InvalidOperationException($"Partition {partition} is being revoked or the consumer is stopping; the transport must not enqueue into it.");
            }

            if (_buffered >= _maxBuffered && partition.Buffered >= _share)
            {
                throw new InvalidOperationException($"The buffer is full ({_maxBuffered} messages) and partition {partition} holds its share ({_share}); the transport must wait for HasCapacityFor.");
            }

            if (message.Owner is not null)
            {
                throw new InvalidOperationException("This message object was enqueued before; the transport must enqueue a new message for each delivery.");
            }

            message.Owner = partition;
            partition.Outstanding.Enqueue(message);
            partition.NextOffset = message.Offset + 1;
            partition.Buffered++;
            if (++_buffered >= _maxBuffered)
            {
                _awaitingCapacity = true;
            }

            var key = ResolveKeyLocked(partition, message, hash);
            message.OrderKey = key;
            if (key is null || key.Holder is null)
            {
                if (key is not null)
                {
                    key.Holder = message;
                }

                wake = MakeReadyLocked(message);
            }
            else
            {
                message.State = MessageState.Waiting;
                key.Waiting.AddLast(message);
            }
        }

        wake?.Set();
    }

    private void UpdateShareLocked() => Volatile.Write(ref _share, _maxBuffered / Math.Max(1, _partitions.Count));

    /// <summary>The committable position of one partition now (-1 before its first message).</summary>
    public long PositionOf(PartitionState partition)
    {
        lock (_gate)
        {
            return partition.Position;
        }
    }

    /// <summary>Positions that moved since they were last collected, for the transport to commit.</summary>
    public void CollectPositions(List<PartitionPosition> into)
    {
        ArgumentNullException.ThrowIfNull(into);
        lock (_gate)
        {
            foreach (var partition in _partitions)
            {
                var position = partition.Position;
                if (position > partition.ReportedPosition && !partition.Closing)
                {
                    partition.ReportedPosition = position;
                    into.Add(new PartitionPosition(partition.Topic, partition.Partition, position));
                }
            }
        }
    }
}
