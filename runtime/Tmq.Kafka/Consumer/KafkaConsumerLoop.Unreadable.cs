using System.Globalization;
using Confluent.Kafka;
using Tmq.Dispatch;

namespace Tmq.Kafka;

// Offsets the client could not read. Poll thread only.
internal sealed partial class KafkaConsumerLoop
{
    // Per partition, the offset this loop last sought to past unreadable data (see AcceptUnreadable).
    private readonly Dictionary<int, long> _sought = [];

    // Per partition, an unreadable offset reported past what was delivered, what had been delivered
    // then, and when it was first reported so.
    private readonly Dictionary<int, (long Reported, long Next, long Since)> _gapSeen = [];

    /// <summary>
    /// How long an unreadable offset reported past what was delivered, with nothing delivered
    /// since, waits before it is taken. The client can report the failure, and report it again after
    /// fetching the same data once more, before it delivers the batches fetched ahead of it (a CI run
    /// lost a message so when the rule was "the same error twice"); what it fetched is delivered
    /// within a fetch or two, so by then the offsets before have come, unless the topic has none
    /// there (compaction, transactions), which costs this wait once per unreadable batch.
    /// </summary>
    internal static readonly TimeSpan GapGrace = TimeSpan.FromSeconds(2);

    /// <summary>
    /// librdkafka could not read the data at an offset of an assigned partition: a record batch it
    /// cannot decompress, or one that fails its CRC check (<c>check.crcs</c>). Left to itself (2.16)
    /// it goes on with what follows a v0/v1 message that fails its CRC (the committed position then
    /// passes a message no handler saw), fetches an undecompressable batch again and again (the
    /// partition stalls while /healthz says all is well), and reads on from a wrong place inside a v2
    /// batch that fails its CRC, until it fetches from an offset the partition does not hold and
    /// <c>auto.offset.reset</c> moves it (to the start: everything again; to the end: everything
    /// skipped). Instead the offset becomes
    /// a message like any other whose handling fails for good, at once and without a retry, as the
    /// broker serves the same bytes every time: the engine dead-letters it (empty key and value; the
    /// <c>tmq-dlq-*</c> headers name its topic, partition and offset, and the exception message is
    /// librdkafka's error) or, under <c>OnExhausted: Stop</c>, halts the partition. Its offset pins the
    /// committed position until then, like any message's.
    /// </summary>
    /// <remarks>
    /// The loop then seeks to the next offset, so librdkafka fetches from there and nothing it had
    /// already fetched past the bad data is delivered without it. A v2 batch holds several offsets
    /// and librdkafka reports only its first: when the batch still covers the offset sought, the same
    /// error comes back (a seek discards whatever was fetched before it, so the error is about the
    /// new position), and that offset is taken and the next one sought, one offset at a time until
    /// the batch is behind. An offset a compacted batch no longer holds is dead-lettered all the same:
    /// the consumer cannot tell. After a restart in the middle of a batch, its first offsets are
    /// dead-lettered again (the error names the batch's first offset, and a new assignment knows
    /// nothing earlier), so at worst a dead letter is written twice, as any message may be handled twice.
    /// The error names the partition and offset but no topic (librdkafka 2.16): this loop reads one topic.
    /// </remarks>
    /// <returns>False when the error is not about unreadable data of an assigned partition.</returns>
    private bool AcceptUnreadable(ConsumeException failure)
    {
        if (failure.Error.Code is not (ErrorCode.Local_BadMsg or ErrorCode.Local_BadCompression)
            || failure.ConsumerRecord?.TopicPartitionOffset is not { } at
            || at.Offset.Value < 0
            || !_assigned.TryGetValue(at.Partition.Value, out var partition)
            || (at.Topic is { Length: > 0 } topic && topic != partition.Topic))
        {
            return false;
        }

        var reported = at.Offset.Value;
        var high = _consumer.GetWatermarkOffsets(new TopicPartition(partition.Topic, partition.Partition)).High.Value;
        if (high >= 0 && reported >= high)
        {
            // Not an offset the partition holds: read from garbage (librdkafka 2.16 reads on inside a
            // batch that failed its CRC and can report such offsets). Taking it would seek past everything.
            return false;
        }

        var next = NextAccepted(partition);
        if (next < 0 || reported > next)
        {
            // Messages before the reported offset may still wait behind this error in the client's
            // queue (it can report a batch's failure before delivering the batches fetched with it).
            // Seeking past it now would discard them: wait until the same error has come for
            // GapGrace with nothing delivered in between (the client fetches the same data again and
            // again), by when they have been delivered; then nothing was waiting (offsets are not
            // contiguous on compacted or transactional topics), and it is taken.
            if (_gapSeen.TryGetValue(partition.Partition, out var seen) && (seen.Reported, seen.Next) == (reported, next))
            {
                if (_time.GetElapsedTime(seen.Since) < GapGrace)
                {
                    return true;
                }
            }
            else
            {
                _gapSeen[partition.Partition] = (reported, next, _time.GetTimestamp());
                return true;
            }
        }

        _gapSeen.Remove(partition.Partition);
        long offset;
        if (next < 0 || reported >= next)
        {
            // Data this loop has not seen yet.
            offset = reported;
        }
        else if (_sought.TryGetValue(partition.Partition, out var sought) && sought == next)
        {
            // Asked for next, and the batch that begins at the reported offset covers it.
            offset = next;
        }
        else
        {
            // The same failure again from before a seek that did not happen: try it again.
            Seek(partition, next);
            return true;
        }

        var message = new TmqMessage(partition.Topic, ReadOnlyMemory<byte>.Empty, ReadOnlyMemory<byte>.Empty)
        {
            Partition = partition.Partition,
            Offset = offset,
            Timestamp = DateTimeOffset.MinValue,
            ReadFailure = new UnreadableMessageException(
                string.Create(CultureInfo.InvariantCulture, $"The Kafka client could not read {partition.Topic}[{partition.Partition}]@{offset} ({failure.Error.Code}): {failure.Error.Reason}")),
        };
        KafkaConsumerLog.Unreadable(_logger, _name, message.Position, failure.Error.Code.ToString(), failure.Error.Reason);
        Admit(partition, message);
        Seek(partition, offset + 1);
        return true;
    }

    /// <summary>One past the last offset of <paramref name="partition"/> given to the engine or parked for it; -1 before the first.</summary>
    private long NextAccepted(PartitionState partition)
    {
        var next = partition.NextOffset;
        foreach (var (parked, message) in _overflow)
        {
            if (ReferenceEquals(parked, partition))
            {
                next = message.Offset + 1;
            }
        }

        return next;
    }

    private void Seek(PartitionState partition, long offset)
    {
        try
        {
            _consumer.Seek(new TopicPartitionOffset(partition.Topic, partition.Partition, offset));
            _sought[partition.Partition] = offset;
        }
        catch (KafkaException ex)
        {
            _sought.Remove(partition.Partition);
            KafkaConsumerLog.SeekFailed(_logger, _name, partition.ToString(), offset, ex.Error.Reason);
        }
    }
}
