using System.Buffers;
using System.Buffers.Binary;

namespace Tmq.Nsq.Protocol;

/// <summary>Splits the bytes nsqd sends into frames.</summary>
/// <remarks>
/// Every frame:
/// <code>
/// +-------------------+-------------------+----------------------------+
/// | size: int32 BE    | type: int32 BE    | data: size - 4 bytes       |
/// +-------------------+-------------------+----------------------------+
///   counts type+data    0 response, 1 error, 2 message
/// </code>
/// A size below 4, a type other than 0-2, or a size above the limit is a protocol violation: the
/// reader throws <see cref="NsqProtocolException"/> naming what arrived, before buffering the data,
/// so a hostile or broken peer can neither crash the process nor make it allocate what it claims.
/// </remarks>
internal static class FrameReader
{
    /// <summary>
    /// Reads one frame from the front of <paramref name="buffer"/> and advances past it. Returns false,
    /// leaving <paramref name="buffer"/> unchanged, while the frame is not complete.
    /// </summary>
    /// <exception cref="NsqProtocolException">The frame header is invalid or announces more than <paramref name="maxFrameBytes"/>.</exception>
    public static bool TryRead(ref ReadOnlySequence<byte> buffer, int maxFrameBytes, out Frame frame)
    {
        frame = default;
        if (buffer.Length < NsqWire.FrameHeaderBytes)
        {
            return false;
        }

        Span<byte> header = stackalloc byte[NsqWire.FrameHeaderBytes];
        buffer.Slice(0, NsqWire.FrameHeaderBytes).CopyTo(header);
        var size = BinaryPrimitives.ReadInt32BigEndian(header);
        var type = BinaryPrimitives.ReadInt32BigEndian(header[4..]);
        if (size < 4)
        {
            throw new NsqProtocolException($"nsqd sent a frame of size {size} (bytes {Convert.ToHexString(header)}); a frame's size counts its 4-byte type, so it is at least 4. The connection is closed.");
        }

        if (size > maxFrameBytes)
        {
            throw new NsqProtocolException($"nsqd sent a frame of {size} bytes (type {type}), over the limit of {maxFrameBytes}. If nsqd runs with a --max-msg-size above {maxFrameBytes - NsqWire.MessageHeaderBytes - 4} bytes, raise Nsq:MaxMessageBytes to match. The connection is closed.");
        }

        if (type is < 0 or > 2)
        {
            throw new NsqProtocolException($"nsqd sent a frame of unknown type {type} (size {size}, bytes {Convert.ToHexString(header)}); NSQ protocol V2 has types 0 (response), 1 (error) and 2 (message). The connection is closed.");
        }

        var total = 4L + size;
        if (buffer.Length < total)
        {
            return false;
        }

        var data = new byte[size - 4];
        buffer.Slice(NsqWire.FrameHeaderBytes, data.Length).CopyTo(data);
        buffer = buffer.Slice(total);
        frame = new Frame((FrameType)type, data);
        return true;
    }
}
