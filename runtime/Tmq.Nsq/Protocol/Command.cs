using System.Buffers;
using System.Buffers.Binary;
using System.Globalization;
using System.Text;

namespace Tmq.Nsq.Protocol;

/// <summary>Writes the commands a client sends nsqd.</summary>
/// <remarks>
/// A command is a line: its name and parameters separated by single spaces, ended by <c>\n</c>.
/// Commands with a body follow the line with the body's size and the body:
/// <code>
/// IDENTIFY\n [ size: int32 BE ][ JSON ]
/// AUTH\n     [ size: int32 BE ][ secret ]
/// SUB &lt;topic&gt; &lt;channel&gt;\n
/// RDY &lt;count&gt;\n
/// FIN &lt;id&gt;\n
/// REQ &lt;id&gt; &lt;timeout ms&gt;\n
/// TOUCH &lt;id&gt;\n
/// NOP\n
/// CLS\n
/// PUB &lt;topic&gt;\n           [ size: int32 BE ][ body ]
/// DPUB &lt;topic&gt; &lt;defer ms&gt;\n [ size: int32 BE ][ body ]
/// MPUB &lt;topic&gt;\n          [ total size: int32 BE ][ count: int32 BE ]( [ size: int32 BE ][ body ] )*
/// </code>
/// Names and ids are ASCII; topic and channel names are validated before they get here.
/// </remarks>
internal static class Command
{
    public static void Identify(IBufferWriter<byte> output, ReadOnlySpan<byte> json) => WithBody(output, "IDENTIFY\n"u8, json);

    public static void Auth(IBufferWriter<byte> output, ReadOnlySpan<byte> secret) => WithBody(output, "AUTH\n"u8, secret);

    public static void Sub(IBufferWriter<byte> output, string topic, string channel)
    {
        Write(output, "SUB "u8);
        Ascii(output, topic);
        Write(output, " "u8);
        Ascii(output, channel);
        Write(output, "\n"u8);
    }

    public static void Rdy(IBufferWriter<byte> output, long count)
    {
        Write(output, "RDY "u8);
        Number(output, count);
        Write(output, "\n"u8);
    }

    public static void Fin(IBufferWriter<byte> output, ReadOnlySpan<byte> id) => WithId(output, "FIN "u8, id);

    public static void Touch(IBufferWriter<byte> output, ReadOnlySpan<byte> id) => WithId(output, "TOUCH "u8, id);

    public static void Req(IBufferWriter<byte> output, ReadOnlySpan<byte> id, long delayMilliseconds)
    {
        Write(output, "REQ "u8);
        Write(output, id);
        Write(output, " "u8);
        Number(output, delayMilliseconds);
        Write(output, "\n"u8);
    }

    public static void Nop(IBufferWriter<byte> output) => Write(output, "NOP\n"u8);

    public static void Cls(IBufferWriter<byte> output) => Write(output, "CLS\n"u8);

    public static void Pub(IBufferWriter<byte> output, string topic, ReadOnlySpan<byte> body)
    {
        Write(output, "PUB "u8);
        Ascii(output, topic);
        WithBody(output, "\n"u8, body);
    }

    public static void Dpub(IBufferWriter<byte> output, string topic, long deferMilliseconds, ReadOnlySpan<byte> body)
    {
        Write(output, "DPUB "u8);
        Ascii(output, topic);
        Write(output, " "u8);
        Number(output, deferMilliseconds);
        WithBody(output, "\n"u8, body);
    }

    public static void Mpub(IBufferWriter<byte> output, string topic, IReadOnlyList<ReadOnlyMemory<byte>> bodies)
    {
        ArgumentOutOfRangeException.ThrowIfZero(bodies.Count);
        Write(output, "MPUB "u8);
        Ascii(output, topic);
        Write(output, "\n"u8);
        // Indexed loops: foreach over an IReadOnlyList allocates its enumerator, three per batch.
        long total = 4;
        for (var i = 0; i < bodies.Count; i++)
        {
            total += 4 + bodies[i].Length;
        }

        // One span for the whole body: a batch is a run of copies, not a call per message.
        var size = checked((int)total);
        var span = output.GetSpan(4 + size);
        BinaryPrimitives.WriteInt32BigEndian(span, size);
        BinaryPrimitives.WriteInt32BigEndian(span[4..], bodies.Count);
        var at = 8;
        for (var i = 0; i < bodies.Count; i++)
        {
            var body = bodies[i].Span;
            BinaryPrimitives.WriteInt32BigEndian(span[at..], body.Length);
            body.CopyTo(span[(at + 4)..]);
            at += 4 + body.Length;
        }

        output.Advance(at);
    }

    private static void WithId(IBufferWriter<byte> output, ReadOnlySpan<byte> verb, ReadOnlySpan<byte> id)
    {
        Write(output, verb);
        Write(output, id);
        Write(output, "\n"u8);
    }

    private static void WithBody(IBufferWriter<byte> output, ReadOnlySpan<byte> line, ReadOnlySpan<byte> body)
    {
        Write(output, line);
        Size(output, body.Length);
        Write(output, body);
    }

    private static void Size(IBufferWriter<byte> output, int size)
    {
        BinaryPrimitives.WriteInt32BigEndian(output.GetSpan(4), size);
        output.Advance(4);
    }

    private static void Number(IBufferWriter<byte> output, long value)
    {
        var span = output.GetSpan(20);
        value.TryFormat(span, out var written, provider: CultureInfo.InvariantCulture);
        output.Advance(written);
    }

    private static void Ascii(IBufferWriter<byte> output, string text)
    {
        var span = output.GetSpan(text.Length);
        var written = Encoding.ASCII.GetBytes(text, span);
        output.Advance(written);
    }

    private static void Write(IBufferWriter<byte> output, ReadOnlySpan<byte> bytes) => output.Write(bytes);
}
