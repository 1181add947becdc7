using System.Globalization;
using Confluent.Kafka;
using Microsoft.Extensions.Logging;
using Tmq.Dispatch;
using Tmq.Hosting;
using Tmq.Telemetry;

namespace Tmq.Kafka;

/// <summary>
/// Owns one Confluent consumer on one dedicated thread: subscribe, poll, pause and resume,
/// store and commit, rebalance callbacks, close. Handlers never run here, so polling goes on
/// however long they take and <c>max.poll.interval.ms</c> never evicts a slow handler.
/// </summary>
/// <remarks>
/// Every member that touches <see cref="_consumer"/> runs on the poll thread. Other threads
/// (workers, timers, option changes) only set flags that the loop reads between polls.
/// Rebalance callbacks run inside <c>Consume</c> on the poll thread and block it for at most
/// <c>RevokeDrainTimeout</c> plus a short grace: the drain waits for handlers on the thread pool
/// and for the dead-letter producer's own threads, never for this thread.
/// </remarks>
internal sealed partial class KafkaConsumerLoop : IDispatchTransport, IConsumerGauges, IDisposable
{
    private static readonly TimeSpan PollTimeout = TimeSpan.FromMilliseconds(100);
    private static readonly TimeSpan PausedPollTimeout = TimeSpan.FromMilliseconds(5);

    /// <summary>While the buffer is full: how often group callbacks are served.</summary>
    private static readonly TimeSpan FullPollInterval = TimeSpan.FromMilliseconds(100);

    /// <summary>While the buffer is full: how many polled messages may wait before partitions are paused.</summary>
    private const int OverflowLimit = 64;
    private static readonly TimeSpan StoreInterval = TimeSpan.FromMilliseconds(200);
    private static readonly TimeSpan CommitRetryWindow = TimeSpan.FromSeconds(5);
    private static readonly TimeSpan LeaveWindow = TimeSpan.FromSeconds(5);

    private readonly string _name;
    private readonly KafkaConsumerOptions _options;
    private readonly Func<KafkaConsumerOptions> _liveOptions;
    private readonly IConsumer<byte[]?, byte[]?> _consumer;
    private readonly ILogger _logger;
    private readonly TmqMetrics _metrics;
    private readonly ConsumerStatus _status;
    private readonly IRebalanceListener? _listener;
    private readonly TimeProvider _time;
    private readonly Action _onFatal;
    private readonly CancellationTokenSource _stop = new();
    private readonly TaskCompletionSource _exited = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly Dictionary<int, PartitionState> _assigned = [];
    private readonly HashSet<int> _paused = [];

    // Assigned since the last flow update: their pause state is set explicitly, whatever
    // librdkafka remembers from an earlier assignment of the same partition.
    private readonly HashSet<int> _fresh = [];
    private readonly HashSet<int> _stoppedPartitions = [];
    private readonly Queue<(PartitionState Partition, TmqMessage Message)> _overflow = new();

    // Partitions paused alone because they hold buffer room other partitions are owed (see IsHog).
    private readonly HashSet<int> _hogs = [];
    private readonly HashSet<int> _blocked = [];
    private readonly List<PartitionPosition> _positions = [];
    private readonly Dictionary<int, PartitionPosition> _finalPositions = [];
    private readonly KeyValuePair<string, object?>[] _tags;
    private DispatchEngine _engine = null!;
    private Thread? _thread;
    private int _flowDirty;
    private int _disposed;
    private readonly ManualResetEventSlim _wake = new();
    private readonly RepeatedLogFilter _repeats;
    private bool _full;

    // Messages admitted since the consumed counter was last told (see ReportConsumed).
    private long _consumedUnreported;
    private int _capacityReturned;
    private bool _capacityPaused;
    private bool _hogsPaused;
    private bool _userPaused;
    private bool _shuttingDown;
    private bool _closing;
    private volatile bool _abandoned;
    private (int Partition, long Lag)[] _lag = [];

    public KafkaConsumerLoop(KafkaConsumerLoopSettings settings)
    {
        _name = settings.Name;
        _options = settings.Options;
        _liveOptions = settings.LiveOptions;
        _logger = settings.Logger;
        _metrics = settings.Metrics;
        _status = settings.Status;
        _listener = settings.Listener;
        _time = settings.TimeProvider;
        _onFatal = settings.OnFatal;
        _repeats = new RepeatedLogFilter(_time);
        _resetToLatest = settings.Config.FirstOrDefault(static s => s.Key == "auto.offset.reset").Value is "latest" or "largest" or "end";
        _tags =
        [
            new("tmq.consumer", _name),
            new("messaging.destination.name", _options.Topic),
            new("messaging.consumer.group.name", settings.Group),
            new("messaging.system", "kafka"),
        ];
        try
        {
            _consumer = new ConsumerBuilder<byte[]?, byte[]?>(settings.Config)
                .SetPartitionsAssignedHandler((_, partitions) => OnAssigned(partitions))
                .SetPartitionsRevokedHandler((_, partitions) => OnRevoked(partitions))
                .SetPartitionsLostHandler((_, partitions) => OnLost(partitions))
                .SetErrorHandler((_, error) => OnError(error))
                .SetLogHandler((_, message) => OnLog(message))
                .Build();
        }
        catch (Exception ex) when (ex is ArgumentException or KafkaException or InvalidOperationException)
        {
            // The original is not attached as the inner exception: librdkafka may quote a value.
            var path = ConsumerOptionsValidator.ConsumerPath(_name);
            throw new TmqSettingsException(
                _name,
                typeof(KafkaConsumerOptions),
                $"librdkafka refused the settings of consumer {_name}: {KafkaConfigRedaction.Refusal(ex.Message, settings.Config)} "
                + $"Check {path}:Kafka in appsettings.json or the environment (keys are librdkafka property names, see its CONFIGURATION.md).");
        }
    }

    /// <summary>Completes when the poll thread has finished (after the final commit and leaving the group).</summary>
    public Task Completion => _exited.Task;

    KeyValuePair<string, object?>[] IConsumerGauges.Tags => _tags;

    IEnumerable<(string Outcome, long Total)> IConsumerGauges.OutcomeTotals() => _engine.OutcomeTotals();

    IReadOnlyList<string> IConsumerGauges.Rebalances => RebalanceValues.All;

    long IConsumerGauges.InFlight => _engine.Running;

    long IConsumerGauges.Buffered => _engine.Buffered;

    bool IConsumerGauges.Paused => Volatile.Read(ref _full) || Volatile.Read(ref _capacityPaused) || Volatile.Read(ref _hogsPaused) || Volatile.Read(ref _userPaused) || _status.HasStoppedPartitions;

    public void Start(DispatchEngine engine)
    {
        _engine = engine;
        ReadPausedOption();
        _thread = new Thread(Run) { IsBackground = true, Name = $"tmq-kafka-{_name}" };
        _thread.Start();
    }

    /// <summary>Asks the poll thread to shut down: stop fetching, drain, commit, leave the group.</summary>
    public void RequestStop()
    {
        if (Volatile.Read(ref _disposed) == 0)
        {
            _stop.Cancel();
            _wake.Set();
        }
    }

    /// <summary>A live option changed: the poll thread re-reads Paused before its next poll.</summary>
    public void OptionsChanged()
    {
        Volatile.Write(ref _flowDirty, 1);
        Wake();
    }

    private void Wake()
    {
        if (Volatile.Read(ref _disposed) == 0)
        {
            _wake.Set();
        }
    }

    public IEnumerable<(int Partition, long Lag)> Lag() => Volatile.Read(ref _lag);

    /// <summary>
    /// Disposal gave up waiting for the poll thread, which is blocked inside librdkafka. When the
    /// call returns, the thread skips the remaining shutdown steps, leaves the host alone (it is
    /// gone by then) and destroys the client itself.
    /// </summary>
    public void Abandon() => _abandoned = true;

    private void DisposeAbandonedClient()
    {
        try
        {
            _consumer.Dispose();
        }
        catch (Exception ex)
        {
            // This thread is on its own now; an exception here must not end the process.
            KafkaConsumerLog.ClientError(_logger, _name, ex.GetType().Name, ex.Message);
        }
    }

    /// <summary>Asks the host to stop; never once the host has abandoned this loop.</summary>
    private void Fatal()
    {
        if (!_abandoned)
        {
            _onFatal();
        }
    }

    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 0)
        {
            _consumer.Dispose();
            _stop.Dispose();
            _wake.Dispose();
        }
    }

    private void Run()
    {
        try
        {
            _consumer.Subscribe(_options.Topic);
            _status.Running = true;
            var nextStore = _time.GetTimestamp();
            while (!_stop.IsCancellationRequested)
            {
                UpdateFlow();
                ConsumeResult<byte[]?, byte[]?>? result;
                try
                {
                    if (_full)
                    {
                        // Wait for the engine's low-water signal; poll now and then for group callbacks.
                        _wake.Wait(FullPollInterval);
                        _wake.Reset();
                        result = _full && !_stop.IsCancellationRequested ? _consumer.Consume(TimeSpan.Zero) : null;
                    }
                    else
                    {
                        result = _consumer.Consume(PollTimeout);
                    }
                }
                catch (ConsumeException ex) when (!ex.Error.IsFatal)
                {
                    if (!AcceptUnreadable(ex))
                    {
                        // Not about a message (a topic not there yet, a fetch the broker refused):
                        // librdkafka fetches again from the same position, so nothing is passed.
                        KafkaConsumerLog.ConsumeError(_logger, _name, ex.Error.Reason);
                    }

                    continue;
                }

                if (result?.Message is not null)
                {
                    Accept(result);
                }
                else
                {
                    ReportConsumed();
                }

                if (_time.GetElapsedTime(nextStore) >= StoreInterval)
                {
                    ReportConsumed();
                    StorePositions();
                    UpdateLag();
                    nextStore = _time.GetTimestamp();
                }
            }

            ReportConsumed();
            Shutdown();
        }
        catch (Exception ex)
        {
            _status.Fault = ex is KafkaException kafka ? $"{kafka.Error.Code}: {kafka.Error.Reason}" : ex.Message;
            KafkaConsumerLog.LoopFailed(_logger, ex, _name);
            Fatal();
            try
            {
                CloseAfterFailure();
            }
            catch (Exception closeFailure)
            {
                // Nothing is left to do with the client; an exception here must not end the process.
                KafkaConsumerLog.ClientError(_logger, _name, closeFailure.GetType().Name, closeFailure.Message);
            }
        }
        finally
        {
            _status.Running = false;
            if (_abandoned)
            {
                DisposeAbandonedClient();
            }

            _exited.TrySetResult();
        }
    }

    private void Accept(ConsumeResult<byte[]?, byte[]?> result)
    {
        if (!_assigned.TryGetValue(result.Partition.Value, out var partition))
        {
            return;
        }

        var kafka = result.Message;
        var message = new TmqMessage(partition.Topic, kafka.Key ?? ReadOnlyMemory<byte>.Empty, kafka.Value ?? ReadOnlyMemory<byte>.Empty)
        {
            Headers = ToHeaders(kafka.Headers),
            Partition = result.Partition.Value,
            Offset = result.Offset.Value,
            Timestamp = kafka.Timestamp.Type == TimestampType.NotAvailable
                ? DateTimeOffset.MinValue
                : DateTimeOffset.FromUnixTimeMilliseconds(kafka.Timestamp.UnixTimestampMs),
        };
        Admit(partition, message);
    }

    /// <summary>Hands a fetched message to the engine, or parks it while its partition has no room.</summary>
    private void Admit(PartitionState partition, TmqMessage message)
    {
        _consumedUnreported++;

        // A message can arrive after the buffer filled (fetched before the pause took effect): it
        // waits here, in a queue that pausing keeps tiny, instead of overrunning the engine. A
        // partition below its share of the buffer still gets in (HasCapacityFor), unless an earlier
        // message of its own waits here.
        if (!_engine.HasCapacityFor(partition) || (_overflow.Count > 0 && HasParked(partition)))
        {
            _overflow.Enqueue((partition, message));
            if (IsHog(partition) && _hogs.Add(partition.Partition))
            {
                // This partition (say one key's backlog behind a slow handler) holds buffer room that
                // others are owed: pause it alone, and keep fetching the rest. Waiting instead would
                // leave their messages behind its prefetched ones in librdkafka's queue.
                Volatile.Write(ref _hogsPaused, true);
                _flowDirty = 1;
            }

            _full = HasParkedBesidesHogs();
        }
        else
        {
            _engine.Enqueue(partition, message);
        }
    }

    /// <summary>
    /// Adds the messages admitted since the last call to the consumed counter: once per store
    /// interval (200 ms) and whenever a poll comes back empty, not once per message. With the
    /// generated service's Prometheus listener each Add is an aggregator update keyed by four
    /// tags on this thread (about 1.5% of a kafka-overhead run's CPU samples under perf, all of it
    /// on the poll thread); in batches it no longer shows. A scrape sees the count at most one
    /// interval late.
    /// </summary>
    private void ReportConsumed()
    {
        if (_consumedUnreported == 0)
        {
            return;
        }

        if (_metrics.Consumed.Enabled)
        {
            _metrics.Consumed.Add(_consumedUnreported, new System.Diagnostics.TagList(_tags.AsSpan()));
        }

        _consumedUnreported = 0;
    }

    /// <summary>
    /// A partition to pause alone, so the others keep fetching: it holds twice its share of the
    /// buffer, or its share while another partition that is fetching holds less than half of its own.
    /// </summary>
    private bool IsHog(PartitionState partition)
    {
        var share = _engine.Share;
        if (_assigned.Count < 2 || share == 0 || partition.Buffered < share)
        {
            return false;
        }

        if (partition.Buffered >= 2 * share)
        {
            return true;
        }

        foreach (var (number, other) in _assigned)
        {
            if (number != partition.Partition && !_paused.Contains(number) && !_hogs.Contains(number) && other.Buffered < share / 2)
            {
                return true;
            }
        }

        return false;
    }

    private bool HasParked(PartitionState partition)
    {
        foreach (var (parked, _) in _overflow)
        {
            if (ReferenceEquals(parked, partition))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>Whether a parked message belongs to a partition that is not paused as a hog: only then is waiting (instead of fetching) of use.</summary>
    private bool HasParkedBesidesHogs()
    {
        foreach (var (parked, _) in _overflow)
        {
            if (!_hogs.Contains(parked.Partition))
            {
                return true;
            }
        }

        return false;
    }

    private static TmqHeaders ToHeaders(Headers? headers)
    {
        if (headers is null || headers.Count == 0)
        {
            return TmqHeaders.Empty;
        }

        var result = new TmqHeaders();
        foreach (var header in headers)
        {
            result.Add(header.Key, header.GetValueBytes() ?? ReadOnlyMemory<byte>.Empty);
        }

        return result;
    }

    private void StorePositions()
    {
        _positions.Clear();
        _engine.CollectPositions(_positions);
        foreach (var position in _positions)
        {
            try
            {
                _consumer.StoreOffset(new TopicPartitionOffset(position.Topic, position.Partition, position.Offset));
            }
            catch (KafkaException)
            {
                // The partition was revoked meanwhile: its final position was committed by the revoke.
            }
        }
    }

    private static string Describe(IReadOnlyList<PartitionPosition> positions) =>
        positions.Count == 0 ? "nothing" : string.Join(", ", positions.Select(p => string.Create(CultureInfo.InvariantCulture, $"{p.Topic}[{p.Partition}]@{p.Offset}")));

    private void OnLog(LogMessage message)
    {
        var level = LibrdkafkaLog.Level(message.Level);

        // librdkafka's background commits are refused while the group rebalances and are simply
        // made again later; a refusal that matters (revoke, shutdown) is this loop's own warning.
        if (level == LogLevel.Warning && message.Facility == "COMMITFAIL" && message.Message.Contains("rebalance in progress", StringComparison.OrdinalIgnoreCase))
        {
            level = LogLevel.Debug;
        }

        if (_logger.IsEnabled(level) && _repeats.Admit(level, message.Message, out var text))
        {
            KafkaConsumerLog.Librdkafka(_logger, level, message.Facility, text);
        }
    }
}
