using System.Text;

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
    public async ValueTask PublishAsync(ReadOnlyMemory<byte> key, ReadOnlyMemory<byte> value, TmqHeaders? headers = null, CancellationToken cancellationToken = default)
    {
        await StartAsync(cancellationToken);
        var partition = key.IsEmpty
            ? (int)((uint)Interlocked.Increment(ref _roundRobin) % (uint)_partitions.Length)
            : PartitionFor(key.Span, _partitions.Length);
        await PublishToAsync(partition, key, value, headers, cancellationToken);
    }

    /// <summary>Publishes to a chosen partition, bypassing the key hash.</summary>
    public async ValueTask PublishToAsync(int partition, ReadOnlyMemory<byte> key, ReadOnlyMemory<byte> value, TmqHeaders? headers = null, CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(partition);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(partition, _partitions.Length);
        await StartAsync(cancellationToken);
        var engine = _engine!;
        while (true)
        {
            var changed = _transport.CapacityTask;
            lock (_gate)
            {
                ObjectDisposedException.ThrowIf(_stopped, this);
                var state = _partitions[partition] ?? throw new InvalidOperationException($"Partition {partition} is revoked; call Assign({partition}) first.");
                if (engine.HasCapacityFor(state))
                {
                    var offset = _nextOffsets[partition]++;
                    engine.Enqueue(state, new TmqMessage(_options.Topic, key, value)
                    {
                        Headers = headers ?? TmqHeaders.Empty,
                        Partition = partition,
                        Offset = offset,
                        Timestamp = _time.GetUtcNow(),
                    });
                    return;
                }
            }

            await changed.WaitAsync(cancellationToken);
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
