namespace Tmq;

/// <summary>Where an acknowledged message was written.</summary>
/// <param name="Topic">The topic.</param>
/// <param name="Partition">The partition (Kafka); 0 where the broker has none.</param>
/// <param name="Offset">The offset in the partition (Kafka); -1 where the broker has none.</param>
/// <param name="Timestamp">The message timestamp as the broker reported it: the send time, or the
/// broker's append time for a topic with <c>message.timestamp.type=LogAppendTime</c>. The embedded
/// development broker reports 1970-01-01 00:00:01.234 for every message.</param>
public sealed record TmqDeliveryResult(string Topic, int Partition, long Offset, DateTimeOffset Timestamp);
