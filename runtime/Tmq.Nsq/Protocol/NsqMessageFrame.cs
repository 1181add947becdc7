using System.Buffers.Binary;
using System.Text;

namespace Tmq.Nsq.Protocol;

/// <summary>A message frame's data, read in place (the body is a slice of the frame's array).</summary>
/// <remarks>
/// <code>
/// +----------------------+------------------+---------------------+--------------+
/// | timestamp: int64 BE  | attempts: uint16 | id: 16 ASCII bytes  | body         |
/// | nanoseconds (Unix)   | BE, from 1       | (hex in nsqd)       | the rest     |
/// +----------------------+------------------+---------------------+--------------+
/// </code>
/// </remarks>
internal readonly struct NsqMessageFrame
{
    private readonly byte[] _data;

    private NsqMessageFrame(byte[] data) => _data = data;

    /// <summary>When nsqd received the message, Unix nanoseconds.</summary>
    public long TimestampNanoseconds => BinaryPrimitives.ReadInt64BigEndian(_data);

    /// <summary>How many times nsqd has delivered it, counting this delivery.</summary>
    public int Attempts => BinaryPrimitives.ReadUInt16BigEndian(_data.AsSpan(8));

    /// <summary>The 16-byte id that FIN, REQ and TOUCH name.</summary>
    public ReadOnlySpan<byte> Id => _data.AsSpan(10, NsqWire.MessageIdBytes);

    public ReadOnlyMemory<byte> Body => _data.AsMemory(NsqWire.MessageHeaderBytes);

    public DateTimeOffset Timestamp => DateTimeOffset.UnixEpoch.AddTicks(TimestampNanoseconds / 100);

    public string IdString => Encoding.ASCII.GetString(Id);

    /// <exception cref="NsqProtocolException">The data is shorter than a message header.</exception>
    public static NsqMessageFrame Parse(byte[] data)
    {
        if (data.Length < NsqWire.MessageHeaderBytes)
        {
            throw new NsqProtocolException($"nsqd sent a message frame of {data.Length} bytes; a message has a {NsqWire.MessageHeaderBytes}-byte header (timestamp, attempts, id). The connection is closed.");
        }

        foreach (var b in data.AsSpan(10, NsqWire.MessageIdBytes))
        {
            if (b is < 0x21 or > 0x7e)
            {
                throw new NsqProtocolException($"nsqd sent a message whose id holds the byte 0x{b:x2} (ids are printable ASCII, bytes {Convert.ToHexString(data.AsSpan(10, NsqWire.MessageIdBytes))}); FIN could not name it. The connection is closed.");
            }
        }

        return new NsqMessageFrame(data);
    }
}
