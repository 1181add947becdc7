using System.Text;
using Tmq.Dispatch;

namespace Tmq;

// Publishing: what a broker's fetch loop does for the other transports.
public sealed partial class InMemoryConsumer
{
    /// <summary>Publishes a message with a UTF-8 key (null or empty: no key) and value.</summary>
    public ValueTask PublishAsync(string? key, string value, TmqHeaders? headers = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(value);
        var keyBytes = string.IsNullOrEmpty(key) ? ReadOnlyMemory<byte>.Empty : Encoding.UTF8.GetBytes(key);
        return PublishAsync(keyBytes, Encoding.UTF8.GetBytes(value), headers, cancellationToken);
    }

    /// <summary>
    /// Publishes a message. Waits while the buffer is full (<see cref="ConsumerOptions.MaxBufferedMessages"/>),
    /// as a broker transport pauses fetching.
    /// </summary>
    public ValueTask PublishAsync(ReadOnlyMemory<byte> key, ReadOnlyMemory<byte> value, TmqHeaders? headers = null, CancellationToken cancellationToken = default)
    {
        var partition = key.IsEmpty
            ? (int)((uint)Interlocked.Increment(ref _roundRobin) % (uint)_partitions.Length)
            : PartitionFor(key.Span, _partitions.Length);
        return PublishToAsync(partition, key, value, headers, cancellationToken);
    }

    /// <summary>Publishes to a chosen partition, bypassing the key hash.</summary>
    public ValueTask PublishToAsync(int partition, ReadOnlyMemory<byte> key, ReadOnlyMemory<byte> value, TmqHeaders? headers = null, CancellationToken cancellationToken = default)
    {
        // Not async while the buffer has room: a publish then costs no state machine, the cheapest
        // stand-in for a broker's fetch loop (the engine benchmark publishes through here). Failures
        // still come back in the returned task, as from an async method.
        try
        {
            ArgumentOutOfRangeException.ThrowIfNegative(partition);
            ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(partition, _partitions.Length);
            var engine = Volatile.Read(ref _engine) ?? Start();

            return TryEnqueue(engine, partition, key, value, headers, out var changed)
                ? default
                : EnqueueWhenCapacityAsync(engine, changed, partition, key, value, headers, cancellationToken);
        }
        catch (Exception ex)
        {
            return ValueTask.FromException(ex);
        }
    }

    private async ValueTask EnqueueWhenCapacityAsync(DispatchEngine engine, Task changed, int partition, ReadOnlyMemory<byte> key, ReadOnlyMemory<byte> value, TmqHeaders? headers, CancellationToken cancellationToken)
    {
        do
        {
            await changed.WaitAsync(cancellationToken);
        }
        while (!TryEnqueue(engine, partition, key, value, headers, out changed));
    }

    /// <summary>Enqueues the message if the engine has room for it; otherwise <paramref name="changed"/> completes when it may have.</summary>
    private bool TryEnqueue(DispatchEngine engine, int partition, ReadOnlyMemory<byte> key, ReadOnlyMemory<byte> value, TmqHeaders? headers, out Task changed)
    {
        changed = _transport.CapacityTask;
        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_stopped, this);
            var state = _partitions[partition] ?? throw new InvalidOperationException($"Partition {partition} is revoked; call Assign({partition}) first.");
            if (!engine.HasCapacityFor(state))
            {
                return false;
            }

            var offset = _nextOffsets[partition]++;
            engine.Enqueue(state, new TmqMessage(_options.Topic, key, value)
            {
                Headers = headers ?? TmqHeaders.Empty,
                Partition = partition,
                Offset = offset,
                Timestamp = _time.GetUtcNow(),
            });
            return true;
        }
    }

    /// <summary>Stable FNV-1a: deterministic across runs, so tests are repeatable.</summary>
    internal static int PartitionFor(ReadOnlySpan<byte> key, int partitions)
    {
        var hash = 2166136261u;
        foreach (var b in key)
        {
            hash = (hash ^ b) * 16777619u;
        }

        return (int)(hash % (uint)partitions);
    }
}
