using Tmq.Dispatch;

namespace Tmq;

// Commits, simulated rebalances, and the engine's callbacks into this consumer.
public sealed partial class InMemoryConsumer
{
    /// <summary>The committed offset (next to read) of each partition, as a transport would commit it now.</summary>
    public IReadOnlyDictionary<int, long> CommittedOffsets()
    {
        var positions = new List<PartitionPosition>();

        // Collect and record as one step: two callers interleaving here would otherwise let the
        // older position overwrite the newer one (a broker transport commits from one thread).
        lock (_gate)
        {
            _engine?.CollectPositions(positions);
            foreach (var position in positions)
            {
                _committed[position.Partition] = position.Offset;
            }

            return new Dictionary<int, long>(_committed);
        }
    }

    /// <summary>
    /// Simulates a revoke: stops dispatching the partitions, drains their running handlers within
    /// <see cref="ConsumerOptions.RevokeDrainTimeout"/> (then cancels them) and commits the final positions.
    /// </summary>
    public async Task RevokeAsync(params int[] partitions)
    {
        ArgumentNullException.ThrowIfNull(partitions);
        await StartAsync();
        var states = new List<PartitionState>();
        lock (_gate)
        {
            foreach (var p in partitions)
            {
                if (_partitions[p] is { } state)
                {
                    states.Add(state);
                    _partitions[p] = null;
                }
            }
        }

        var final = await _engine!.DrainAsync(states, _options.RevokeDrainTimeout);
        lock (_gate)
        {
            foreach (var position in final)
            {
                _committed[position.Partition] = position.Offset;
            }
        }

        Signal();
    }

    /// <summary>Re-assigns a revoked partition; publishing continues from the committed offset, as after a rebalance.</summary>
    public void Assign(int partition)
    {
        lock (_gate)
        {
            if (_engine is null || _partitions[partition] is not null)
            {
                return;
            }

            _partitions[partition] = _engine.AddPartition(_options.Topic, partition);
            if (_committed.TryGetValue(partition, out var committed))
            {
                _nextOffsets[partition] = committed;
            }
        }
    }

    /// <summary>The engine's view of this consumer: settlement, capacity and dead-letter recording.</summary>
    private sealed class Transport(InMemoryConsumer owner) : IDispatchTransport, IDeadLetterSink
    {
        private TaskCompletionSource _capacity = NewSignal();

        public Task CapacityTask => Volatile.Read(ref _capacity).Task;

        public void OnCapacityAvailable() => Interlocked.Exchange(ref _capacity, NewSignal()).TrySetResult();

        public void OnSettled(PartitionState partition, TmqMessage message, MessageOutcome outcome, TimeSpan requeueDelay) =>
            owner.Record(message, outcome);

        public void OnPartitionStopped(PartitionState partition) => owner.Signal();

        public async Task WriteAsync(DeadLetterRecord record, CancellationToken cancellationToken)
        {
            if (owner.DeadLetterSink is { } sink)
            {
                await sink.WriteAsync(record, cancellationToken);
            }

            lock (owner._gate)
            {
                owner._deadLetters.Add(record);
            }
        }
    }
}
