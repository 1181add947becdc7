namespace Tmq.Kafka;

/// <summary>A partition of a topic.</summary>
/// <param name="Topic">The topic.</param>
/// <param name="Partition">The partition number.</param>
public readonly record struct KafkaPartition(string Topic, int Partition);

/// <summary>
/// Optional hooks on partition assignment changes; register one with
/// <c>services.AddKeyedSingleton&lt;IRebalanceListener, MyListener&gt;("consumer-name")</c> (or unkeyed for every consumer).
/// </summary>
/// <remarks>
/// <para>Runs on the consumer's poll thread, inside the rebalance: the group waits for it, so keep
/// it short (well under <c>RevokeDrainTimeout</c>) and never wait on message handling from it.</para>
/// <para>Exceptions are logged and otherwise ignored; they never fail the rebalance.</para>
/// </remarks>
public interface IRebalanceListener
{
    /// <summary>Partitions were assigned; their messages are fetched after this returns.</summary>
    Task OnAssignedAsync(IReadOnlyList<KafkaPartition> partitions, CancellationToken cancellationToken);

    /// <summary>
    /// Partitions were revoked: their in-flight work has finished (or was cancelled after the drain
    /// timeout) and their positions were committed before this is called.
    /// </summary>
    Task OnRevokedAsync(IReadOnlyList<KafkaPartition> partitions, CancellationToken cancellationToken);

    /// <summary>
    /// Partitions were lost (the group moved on without us, e.g. after a session timeout): their
    /// in-flight work was cancelled and nothing was committed for them; another consumer may
    /// already be handling them.
    /// </summary>
    Task OnLostAsync(IReadOnlyList<KafkaPartition> partitions, CancellationToken cancellationToken);
}
