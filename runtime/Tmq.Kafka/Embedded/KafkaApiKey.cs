namespace Tmq.Kafka;

/// <summary>
/// Kafka protocol request types (the protocol's <c>ApiKey</c>), for injecting errors into the
/// <see cref="EmbeddedKafkaBroker"/>. The values are the protocol's numbers.
/// </summary>
public enum KafkaApiKey : short
{
    /// <summary>Produce (0): writing records.</summary>
    Produce = 0,

    /// <summary>Fetch (1): reading records.</summary>
    Fetch = 1,

    /// <summary>ListOffsets (2): resolving earliest/latest/by-time offsets.</summary>
    ListOffsets = 2,

    /// <summary>Metadata (3): brokers, topics, partition leaders.</summary>
    Metadata = 3,

    /// <summary>OffsetCommit (8): a consumer group commit.</summary>
    OffsetCommit = 8,

    /// <summary>OffsetFetch (9): reading a group's committed offsets.</summary>
    OffsetFetch = 9,

    /// <summary>FindCoordinator (10): locating the group or transaction coordinator.</summary>
    FindCoordinator = 10,

    /// <summary>JoinGroup (11): classic group protocol, joining.</summary>
    JoinGroup = 11,

    /// <summary>Heartbeat (12): classic group protocol, liveness.</summary>
    Heartbeat = 12,

    /// <summary>LeaveGroup (13): classic group protocol, leaving.</summary>
    LeaveGroup = 13,

    /// <summary>SyncGroup (14): classic group protocol, distributing the assignment.</summary>
    SyncGroup = 14,

    /// <summary>InitProducerId (22): the idempotent or transactional producer's id.</summary>
    InitProducerId = 22,

    /// <summary>ConsumerGroupHeartbeat (68): the KIP-848 consumer group protocol.</summary>
    ConsumerGroupHeartbeat = 68,
}
