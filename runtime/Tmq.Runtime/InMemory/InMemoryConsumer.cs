using System.Runtime.InteropServices;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Tmq.Dispatch;

namespace Tmq;

/// <summary>
/// A consumer without a broker: messages published here go through the same dispatch engine as
/// Kafka and NSQ (ordering, retries, dead-lettering, backpressure, commits), so a handler can be
/// tested exactly as it will run. Partitions are simulated; keys map to them by hash as Kafka's
/// default partitioner would spread them.
/// </summary>
/// <example>
/// <code>
/// await using var consumer = new InMemoryConsumer(new MessageHandler(), new ConsumerOptions { Topic = "orders" });
/// await consumer.PublishAsync("order-1", "{\"id\":1}");
/// await consumer.WaitForIdleAsync();
/// Assert.Single(consumer.Handled);
/// </code>
/// </example>
public sealed partial class InMemoryConsumer : IAsyncDisposable
{
    private readonly IMessageHandler _handler;
    private readonly ConsumerOptions _options;
    private readonly TimeProvider _time;
    private readonly Lock _gate = new();
    private readonly List<TmqMessage> _handled = [];
    private readonly List<DeadLetterRecord> _deadLetters = [];
    private readonly Dictionary<int, long> _committed = [];
    private readonly PartitionState?[] _partitions;
    private readonly long[] _nextOffsets;
    private readonly Transport _transport;
    private DispatchEngine? _engine;
    private TaskCompletionSource _changed = NewSignal();
    private int _roundRobin;
    private int _idleWaiters;
    private Counts _counts;
    private bool _stopped;

    /// <summary>Creates a consumer that runs <paramref name="handler"/> with <paramref name="options"/>.</summary>
    /// <param name="handler">The handler under test.</param>
    /// <param name="options">The consumer options; <see cref="ConsumerOptions.Topic"/> is required. Retry settings are read live.</param>
    /// <param name="timeProvider">Drives retry backoff; pass a fake to control it. <value>Defaults to <see cref="TimeProvider.System"/>.</value></param>
    /// <param name="partitions">How many partitions to simulate. <value>Defaults to 4.</value></param>
    /// <exception cref="TmqSettingsException">The options are invalid; the message says which and how to fix them.</exception>
    public InMemoryConsumer(IMessageHandler handler, ConsumerOptions options, TimeProvider? timeProvider = null, int partitions = 4)
    {
        ArgumentNullException.ThrowIfNull(handler);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentOutOfRangeException.ThrowIfLessThan(partitions, 1);
        var errors = ConsumerOptionsValidator.Check(ConsumerOptionsValidator.ConsumerPath("in-memory"), options);
        if (errors.Count > 0)
        {
            throw new TmqSettingsException("in-memory", typeof(ConsumerOptions), errors);
        }

        _handler = handler;
        _options = options;
        _time = timeProvider ?? TimeProvider.System;
        _partitions = new PartitionState?[partitions];
        _nextOffsets = new long[partitions];
        _transport = new Transport(this);
    }

    /// <summary>
    /// Where dead letters go after they are recorded in <see cref="DeadLetters"/>; set it to simulate
    /// a failing dead-letter destination (throw from it). <value>Defaults to null: recording only.</value>
    /// </summary>
    public IDeadLetterSink? DeadLetterSink { get; init; }

    /// <summary>Log destination. <value>Defaults to none.</value></summary>
    public ILoggerFactory? LoggerFactory { get; init; }

    /// <summary>The jitter source, uniform in [0, 1). <value>Defaults to <see cref="Random.Shared"/>.</value></summary>
    public Func<double>? JitterSource { get; init; }

    /// <summary>The consumer group reported in dead-letter records. <value>Defaults to "in-memory".</value></summary>
    public string Group { get; init; } = "in-memory";

    /// <summary>
    /// Keep every handled message in <see cref="Handled"/>. Set false for long or benchmark runs,
    /// where only <see cref="HandledCount"/> is kept. <value>Defaults to true.</value>
    /// </summary>
    public bool KeepHandled { get; init; } = true;

    /// <summary>How many messages the handler has completed.</summary>
    public long HandledCount => Interlocked.Read(ref _counts.Handled);

    /// <summary>How many partitions are simulated.</summary>
    public int PartitionCount => _partitions.Length;

    /// <summary>Messages whose handler returned, in completion order.</summary>
    public IReadOnlyList<TmqMessage> Handled
    {
        get
        {
            lock (_gate)
            {
                return [.. _handled];
            }
        }
    }

    /// <summary>Messages dead-lettered (write acknowledged), in completion order.</summary>
    public IReadOnlyList<DeadLetterRecord> DeadLetters
    {
        get
        {
            lock (_gate)
            {
                return [.. _deadLetters];
            }
        }
    }

    /// <summary>True once a message exhausted its attempts under <see cref="ExhaustedPolicy.Stop"/>.</summary>
    public bool HasStoppedPartitions => _engine?.HasStoppedPartitions ?? false;

    /// <summary>Fetched but unfinished messages right now.</summary>
    public int Buffered => _engine?.Buffered ?? 0;

    /// <summary>Handler calls running right now.</summary>
    public int InFlight => _engine?.Running ?? 0;

    internal DispatchEngine? Engine => _engine;

    /// <summary>Starts the workers. Publishing starts them too.</summary>
    public Task StartAsync(CancellationToken cancellationToken = default)
    {
        Start();
        return Task.CompletedTask;
    }

    /// <summary>Creates and starts the engine unless it runs already; returns it.</summary>
    private DispatchEngine Start()
    {
        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_stopped, this);
            if (_engine is not null)
            {
                return _engine;
            }

            var engine = new DispatchEngine(new EngineSettings
            {
                Name = "in-memory",
                Handler = _handler,
                DeadLetters = _transport,
                Transport = _transport,
                Options = () => _options,
                Group = Group,
                TimeProvider = _time,
                Random = JitterSource ?? Random.Shared.NextDouble,
                Logger = LoggerFactory?.CreateLogger<InMemoryConsumer>() ?? NullLogger<InMemoryConsumer>.Instance,
            });
            for (var i = 0; i < _partitions.Length; i++)
            {
                _partitions[i] = engine.AddPartition(_options.Topic, i);
            }

            engine.Start();

            // Published last: a publish that reads it without the lock finds it started.
            Volatile.Write(ref _engine, engine);
            return engine;
        }
    }

    /// <summary>
    /// Waits until every published message has reached a final outcome (or is held by a stopped
    /// partition). Retries wait on the <see cref="TimeProvider"/>: with a fake one, advance it meanwhile.
    /// </summary>
    /// <param name="timeout">Real time to wait at most. <value>Defaults to 30 s.</value></param>
    /// <exception cref="TimeoutException">Work was still pending when the timeout passed.</exception>
    public async Task WaitForIdleAsync(TimeSpan? timeout = null)
    {
        var deadline = DateTime.UtcNow + (timeout ?? TimeSpan.FromSeconds(30));
        Interlocked.Increment(ref _idleWaiters);
        try
        {
            await WaitForIdleCoreAsync(deadline, timeout);
        }
        finally
        {
            Interlocked.Decrement(ref _idleWaiters);
        }
    }

    private async Task WaitForIdleCoreAsync(DateTime deadline, TimeSpan? timeout)
    {
        while (true)
        {
            Task changed;
            lock (_gate)
            {
                changed = _changed.Task;
            }

            // Recorded last: the engine counts an outcome before telling Record, whose signal wakes this loop.
            if (_engine is null || (_engine.IsQuiescent && _engine.Settled == Interlocked.Read(ref _counts.Recorded)))
            {
                return;
            }

            var left = deadline - DateTime.UtcNow;
            if (left <= TimeSpan.Zero)
            {
                throw new TimeoutException($"The in-memory consumer still had {_engine.Buffered} unfinished message(s), {_engine.Running} running, after {timeout ?? TimeSpan.FromSeconds(30)}.");
            }

            await Task.WhenAny(changed, Task.Delay(left));
        }
    }

    /// <summary>Graceful shutdown: drains within <see cref="ConsumerOptions.ShutdownTimeout"/> and commits.</summary>
    public async Task StopAsync(CancellationToken cancellationToken = default)
    {
        DispatchEngine? engine;
        lock (_gate)
        {
            if (_stopped)
            {
                return;
            }

            _stopped = true;
            engine = _engine;
        }

        if (engine is null)
        {
            return;
        }

        var final = await engine.StopAsync(_options.ShutdownTimeout).WaitAsync(cancellationToken);
        lock (_gate)
        {
            foreach (var position in final)
            {
                _committed[position.Partition] = position.Offset;
            }
        }

        engine.Dispose();
        Signal();
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync() => await StopAsync();

    /// <summary>
    /// The outcome counts, which a worker writes for every message, padded off the cache lines of the
    /// fields a publish reads: sharing a line with them cost the engine benchmark's settling a miss
    /// on each side per message.
    /// </summary>
    [StructLayout(LayoutKind.Explicit, Size = 192)]
    private struct Counts
    {
        [FieldOffset(64)]
        public long Handled;

        [FieldOffset(72)]
        public long Recorded;
    }

    private static TaskCompletionSource NewSignal() => new(TaskCreationOptions.RunContinuationsAsynchronously);

    private void Signal()
    {
        if (Volatile.Read(ref _idleWaiters) == 0)
        {
            return;
        }

        TaskCompletionSource changed;
        lock (_gate)
        {
            changed = _changed;
            _changed = NewSignal();
        }

        changed.TrySetResult();
    }

    private void Record(TmqMessage message, MessageOutcome outcome)
    {
        if (outcome == MessageOutcome.Handled)
        {
            Interlocked.Increment(ref _counts.Handled);
            if (KeepHandled)
            {
                lock (_gate)
                {
                    _handled.Add(message);
                }
            }
        }

        // Counted once recorded: WaitForIdleAsync compares this with the engine's Settled.
        Interlocked.Increment(ref _counts.Recorded);
        Signal();
    }
}
