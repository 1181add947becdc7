namespace Tmq.Dispatch;

/// <summary>A committable position: the offset of the next message to read from the partition.</summary>
internal readonly record struct PartitionPosition(string Topic, int Partition, long Offset);
