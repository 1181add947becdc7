using System.Buffers.Binary;
using System.Text;

namespace Tmq.Nsq.Tests.Fakes;

/// <summary>One command a client sent <see cref="ScriptedNsqd"/>, as it arrived on the wire.</summary>
/// <param name="Connection">Which accepted connection sent it, counting from 0.</param>
/// <param name="Name">The first word of the command line (<c>SUB</c>, <c>RDY</c>...).</param>
/// <param name="Parameters">The other words of the line.</param>
/// <param name="Body">
/// The bytes after the size word for IDENTIFY, AUTH, PUB, DPUB and MPUB (for MPUB: the count and
/// the sized messages, see <see cref="MpubBodies"/>); null for commands without a body.
/// </param>
internal sealed record NsqCommand(int Connection, string Name, IReadOnlyList<string> Parameters, byte[]? Body)
{
    public string BodyText => Body is null ? string.Empty : Encoding.UTF8.GetString(Body);

    /// <summary>The command line without its <c>\n</c>, e.g. <c>SUB orders workers</c>.</summary>
    public string Line => Parameters.Count == 0 ? Name : $"{Name} {string.Join(' ', Parameters)}";

    /// <summary>Splits an MPUB body into its messages, checking the count and sizes it declares.</summary>
    public IReadOnlyList<byte[]> MpubBodies()
    {
        if (Name != "MPUB" || Body is null)
        {
            throw new InvalidOperationException($"MpubBodies reads an MPUB command; this is {Line}.");
        }

        var span = Body.AsSpan();
        var count = BinaryPrimitives.ReadInt32BigEndian(span);
        span = span[4..];
        var bodies = new List<byte[]>();
        for (var i = 0; i < count; i++)
        {
            var size = BinaryPrimitives.ReadInt32BigEndian(span);
            bodies.Add(span.Slice(4, size).ToArray());
            span = span[(4 + size)..];
        }

        if (!span.IsEmpty)
        {
            throw new InvalidOperationException($"The MPUB body declares {count} messages but {span.Length} bytes follow them.");
        }

        return bodies;
    }

    public override string ToString() => Body is null ? $"#{Connection} {Line}" : $"#{Connection} {Line} [{Body.Length} bytes]";
}
