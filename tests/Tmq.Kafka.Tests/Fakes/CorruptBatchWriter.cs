using System.Buffers;
using System.Buffers.Binary;
using System.Net.Sockets;
using System.Numerics;
using System.Text;

namespace Tmq.Kafka.Tests.Fakes;

/// <summary>
/// Writes a record batch no client can read straight to the embedded broker, over its Kafka port:
/// a ProduceRequest (v3) carrying one magic-2 batch that says it is gzip-compressed and holds
/// <c>records</c> records, whose payload is not gzip. The broker stores batches as they come
/// (it checks the magic byte and the record count, not the payload), so consumers fetch it as it is.
/// </summary>
internal static class CorruptBatchWriter
{
    private const short ProduceKey = 0;
    private const short ProduceVersion = 3;
    private const short GzipAttribute = 1;

    /// <summary>Appends the batch to <paramref name="topic"/>[<paramref name="partition"/>] and returns its first offset.</summary>
    /// <param name="broker">The broker must lead the partition: a one-broker cluster does.</param>
    /// <param name="topic">An existing topic.</param>
    /// <param name="partition">Its partition.</param>
    /// <param name="records">How many offsets the batch takes.</param>
    /// <param name="badCrc">Write a wrong CRC too, which a consumer with <c>check.crcs=true</c> finds before it decompresses.</param>
    public static async Task<long> AppendUndecompressableAsync(EmbeddedKafkaBroker broker, string topic, int partition, int records, bool badCrc = false)
    {
        var batch = Batch(records, Encoding.ASCII.GetBytes("this is not a gzip stream at all, whatever the attributes say"), badCrc);
        var request = new Writer();
        request.Int16(ProduceKey);
        request.Int16(ProduceVersion);
        request.Int32(1); // correlation id
        request.String("tmq-tests-corrupt-batch");
        request.Int16(-1); // transactional id: null
        request.Int16(-1); // acks: all
        request.Int32(10_000);
        request.Int32(1);
        request.String(topic);
        request.Int32(1);
        request.Int32(partition);
        request.Int32(batch.Length);
        request.Bytes(batch);

        var (host, port) = HostAndPort(broker.BootstrapServers.Split(',')[0]);
        using var client = new TcpClient();
        await client.ConnectAsync(host, port);
        var stream = client.GetStream();
        var frame = new byte[4 + request.Length];
        BinaryPrimitives.WriteInt32BigEndian(frame, request.Length);
        request.CopyTo(frame.AsSpan(4));
        await stream.WriteAsync(frame);

        var size = new byte[4];
        await stream.ReadExactlyAsync(size);
        var response = new byte[BinaryPrimitives.ReadInt32BigEndian(size)];
        await stream.ReadExactlyAsync(response);

        // correlation id, topics count, topic name, partitions count, partition, error code, base offset.
        var at = 4 + 4;
        at += 2 + BinaryPrimitives.ReadInt16BigEndian(response.AsSpan(at));
        at += 4 + 4;
        var error = BinaryPrimitives.ReadInt16BigEndian(response.AsSpan(at));
        Assert.True(error == 0, $"The broker refused the batch with error code {error}.");
        return BinaryPrimitives.ReadInt64BigEndian(response.AsSpan(at + 2));
    }

    private static byte[] Batch(int records, byte[] payload, bool badCrc)
    {
        var now = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        var body = new Writer(); // from the attributes on: what the CRC covers
        body.Int16(GzipAttribute);
        body.Int32(records - 1); // last offset delta
        body.Int64(now);
        body.Int64(now);
        body.Int64(-1); // producer id
        body.Int16(-1); // producer epoch
        body.Int32(-1); // base sequence
        body.Int32(records);
        body.Bytes(payload);

        var covered = body.ToArray();
        var batch = new Writer();
        batch.Int64(0); // base offset: the broker assigns it
        batch.Int32(4 + 1 + 4 + covered.Length); // batch length: from the leader epoch on
        batch.Int32(-1); // partition leader epoch
        batch.Bytes([2]); // magic
        batch.Int32((int)(Crc32C(covered) ^ (badCrc ? 1u : 0u)));
        batch.Bytes(covered);
        return batch.ToArray();
    }

    private static uint Crc32C(ReadOnlySpan<byte> data)
    {
        var crc = uint.MaxValue;
        foreach (var b in data)
        {
            crc = BitOperations.Crc32C(crc, b);
        }

        return ~crc;
    }

    private static (string Host, int Port) HostAndPort(string address)
    {
        var colon = address.LastIndexOf(':');
        return (address[..colon], int.Parse(address[(colon + 1)..], System.Globalization.CultureInfo.InvariantCulture));
    }

    private sealed class Writer
    {
        private readonly ArrayBufferWriter<byte> _buffer = new();

        public int Length => _buffer.WrittenCount;

        public void Int16(short value)
        {
            BinaryPrimitives.WriteInt16BigEndian(_buffer.GetSpan(2), value);
            _buffer.Advance(2);
        }

        public void Int32(int value)
        {
            BinaryPrimitives.WriteInt32BigEndian(_buffer.GetSpan(4), value);
            _buffer.Advance(4);
        }

        public void Int64(long value)
        {
            BinaryPrimitives.WriteInt64BigEndian(_buffer.GetSpan(8), value);
            _buffer.Advance(8);
        }

        public void String(string value)
        {
            var bytes = Encoding.UTF8.GetBytes(value);
            Int16((short)bytes.Length);
            _buffer.Write(bytes);
        }

        public void Bytes(ReadOnlySpan<byte> bytes) => _buffer.Write(bytes);

        public byte[] ToArray() => _buffer.WrittenSpan.ToArray();

        public void CopyTo(Span<byte> target) => _buffer.WrittenSpan.CopyTo(target);
    }
}
