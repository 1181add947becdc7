using System.Text;

namespace Tmq.Nsq.DevServer;

/// <summary>The small parsers of protocol V2, with nsqd's rules: command lines and numbers (names: NsqNames).</summary>
internal static class NsqSyntax
{
    /// <summary>
    /// Splits a command line on single spaces after dropping a trailing <c>\r</c>, as nsqd does
    /// (so two spaces make an empty parameter). Parameters are Latin-1: one character a byte.
    /// </summary>
    public static string[] SplitCommand(ReadOnlySpan<byte> line)
    {
        if (line.Length > 0 && line[^1] == (byte)'\r')
        {
            line = line[..^1];
        }

        return Encoding.Latin1.GetString(line).Split(' ');
    }

    /// <summary>
    /// nsqd's <c>ByteToBase10</c>: digits only (no sign), an empty text is 0. Unlike Go, a value
    /// past <see cref="ulong.MaxValue"/> saturates instead of wrapping.
    /// </summary>
    public static bool TryParseBase10(string text, out ulong value)
    {
        value = 0;
        foreach (var c in text)
        {
            if (c is < '0' or > '9')
            {
                value = 0;
                return false;
            }

            value = value > (ulong.MaxValue - 9) / 10 ? ulong.MaxValue : (value * 10) + (ulong)(c - '0');
        }

        return true;
    }
}
