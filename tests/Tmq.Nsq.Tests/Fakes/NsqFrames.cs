using System.Buffers.Binary;
using System.Text;

namespace Tmq.Nsq.Tests.Fakes;

/// <summary>
/// Encodes what nsqd sends, written from the protocol spec rather than with the client's code, so
/// tests of the reader do not share its mistakes.
/// </summary>
internal static class NsqFrames
{
    public const int ResponseType = 0;
    public const int ErrorType = 1;
    public const int MessageType = 2;

    public static byte[] Response(string text) => Frame(ResponseType, Encoding.UTF8.GetBytes(text));

    public static byte[] Error(string text) => Frame(ErrorType, Encoding.UTF8.GetBytes(text));

    public static byte[] Heartbeat() => Response("_heartbeat_");

    /// <summary>A message frame; <paramref name="id"/> must be 16 ASCII characters to be valid, but tests may pass anything.</summary>
    public static byte[] Message(string id, ReadOnlySpan<byte> body, int attempts = 1, long timestampNanoseconds = 0) =>
        Frame(MessageType, MessageData(Encoding.ASCII.GetBytes(id), body, attempts, timestampNanoseconds));

    /// <summary>A message frame's data (timestamp, attempts, id, body), without the frame header.</summary>
    public static byte[] MessageData(ReadOnlySpan<byte> id, ReadOnlySpan<byte> body, int attempts = 1, long timestampNanoseconds = 0)
    {
        var data = new byte[8 + 2 + id.Length + body.Length];
        BinaryPrimitives.WriteInt64BigEndian(data, timestampNanoseconds);
        BinaryPrimitives.WriteUInt16BigEndian(data.AsSpan(8), checked((ushort)attempts));
        id.CopyTo(data.AsSpan(10));
        body.CopyTo(data.AsSpan(10 + id.Length));
        return data;
    }

    public static byte[] Frame(int type, ReadOnlySpan<byte> data)
    {
        var frame = new byte[8 + data.Length];
        BinaryPrimitives.WriteInt32BigEndian(frame, 4 + data.Length);
        BinaryPrimitives.WriteInt32BigEndian(frame.AsSpan(4), type);
        data.CopyTo(frame.AsSpan(8));
        return frame;
    }

    /// <summary>A bare frame header announcing <paramref name="size"/> bytes, with no data after it.</summary>
    public static byte[] Header(int size, int type)
    {
        var header = new byte[8];
        BinaryPrimitives.WriteInt32BigEndian(header, size);
        BinaryPrimitives.WriteInt32BigEndian(header.AsSpan(4), type);
        return header;
    }

    /// <summary>An id in nsqd's format (16 hex digits) made from a number, so tests can name messages.</summary>
    public static string MessageId(long number) => number.ToString("x16", System.Globalization.CultureInfo.InvariantCulture);
}
