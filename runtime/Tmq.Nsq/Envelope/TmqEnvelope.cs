using System.Buffers.Binary;
using System.Text;

namespace Tmq.Nsq.Envelope;

/// <summary>
/// NSQ carries a body and nothing else; the TMQ envelope puts a key and headers (W3C trace context
/// among them) in front of the body, so a Tmq consumer gets what a Kafka consumer gets.
/// </summary>
/// <remarks>
/// <code>
/// +-----------+---------+----------------+-----+------------------+-----------------------------------------------+------+
/// | magic     | version | key length     | key | header count     | per header:                                   | body |
/// | 00 'T'    | 0x01    | uint32 BE      |     | uint16 BE        | name length uint16 BE, name (UTF-8),          |      |
/// | 'M' 'Q'   |         |                |     |                  | value length uint32 BE, value                 |      |
/// +-----------+---------+----------------+-----+------------------+-----------------------------------------------+------+
/// </code>
/// Consumers detect the magic and unwrap; a body without it, from any producer, is delivered as it
/// is. Text and JSON never start with a zero byte, so a plain body is never mistaken for an
/// envelope. One that starts with the magic but does not parse to the end is delivered whole too:
/// nothing is lost, and the handler sees the bytes that were sent.
/// </remarks>
public static class TmqEnvelope
{
    private const byte Version = 1;

    /// <summary>The first bytes of every envelope: <c>00 54 4D 51 01</c> (<c>\0TMQ</c>, version 1).</summary>
    public static ReadOnlySpan<byte> Magic => [0x00, (byte)'T', (byte)'M', (byte)'Q', Version];

    /// <summary>Writes <paramref name="key"/>, <paramref name="headers"/> and <paramref name="body"/> as one envelope.</summary>
    public static byte[] Wrap(ReadOnlySpan<byte> key, TmqHeaders? headers, ReadOnlySpan<byte> body)
    {
        var size = Magic.Length + 4 + key.Length + 2 + body.Length;
        var count = headers?.Count ?? 0;
        if (count > ushort.MaxValue)
        {
            throw new ArgumentException($"An envelope holds at most {ushort.MaxValue} headers; this message has {count}.", nameof(headers));
        }

        for (var i = 0; i < count; i++)
        {
            size += 2 + NameBytes(headers![i].Name) + 4 + headers[i].Value.Length;
        }

        var buffer = new byte[size];
        var span = buffer.AsSpan();
        Magic.CopyTo(span);
        span = span[Magic.Length..];
        BinaryPrimitives.WriteUInt32BigEndian(span, (uint)key.Length);
        key.CopyTo(span[4..]);
        span = span[(4 + key.Length)..];
        BinaryPrimitives.WriteUInt16BigEndian(span, (ushort)count);
        span = span[2..];
        for (var i = 0; i < count; i++)
        {
            var (name, value) = headers![i];
            var nameLength = Encoding.UTF8.GetBytes(name, span[2..]);
            BinaryPrimitives.WriteUInt16BigEndian(span, (ushort)nameLength);
            span = span[(2 + nameLength)..];
            BinaryPrimitives.WriteUInt32BigEndian(span, (uint)value.Length);
            value.Span.CopyTo(span[4..]);
            span = span[(4 + value.Length)..];
        }

        body.CopyTo(span);
        return buffer;
    }

    /// <summary>
    /// Reads an envelope. Returns false, leaving the outputs empty, when <paramref name="data"/> is
    /// not a complete envelope: the caller then treats it as a plain body.
    /// </summary>
    public static bool TryUnwrap(ReadOnlyMemory<byte> data, out ReadOnlyMemory<byte> key, out TmqHeaders headers, out ReadOnlyMemory<byte> body)
    {
        key = default;
        headers = TmqHeaders.Empty;
        body = default;
        var span = data.Span;
        if (!span.StartsWith(Magic) || span.Length < Magic.Length + 6)
        {
            return false;
        }

        var at = Magic.Length;
        var keyLength = BinaryPrimitives.ReadUInt32BigEndian(span[at..]);
        at += 4;
        if (keyLength > (uint)(span.Length - at - 2))
        {
            return false;
        }

        var keyAt = at;
        at += (int)keyLength;
        int count = BinaryPrimitives.ReadUInt16BigEndian(span[at..]);
        at += 2;
        var read = count == 0 ? TmqHeaders.Empty : new TmqHeaders();
        for (var i = 0; i < count; i++)
        {
            if (span.Length - at < 2)
            {
                return false;
            }

            int nameLength = BinaryPrimitives.ReadUInt16BigEndian(span[at..]);
            at += 2;
            if (nameLength == 0 || span.Length - at < nameLength + 4)
            {
                return false;
            }

            var name = span.Slice(at, nameLength);
            at += nameLength;
            var valueLength = BinaryPrimitives.ReadUInt32BigEndian(span[at..]);
            at += 4;
            if (valueLength > (uint)(span.Length - at))
            {
                return false;
            }

            read.Add(Encoding.UTF8.GetString(name), data.Slice(at, (int)valueLength));
            at += (int)valueLength;
        }

        key = data.Slice(keyAt, (int)keyLength);
        headers = read;
        body = data[at..];
        return true;
    }

    private static int NameBytes(string name)
    {
        var bytes = Encoding.UTF8.GetByteCount(name);
        if (bytes > ushort.MaxValue)
        {
            throw new ArgumentException($"A header name in an envelope is at most {ushort.MaxValue} bytes; \"{name[..32]}...\" has {bytes}.", nameof(name));
        }

        return bytes;
    }
}
