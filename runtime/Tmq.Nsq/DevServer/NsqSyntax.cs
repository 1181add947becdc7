using System.Text;

namespace Tmq.Nsq.DevServer;

/// <summary>The small parsers of protocol V2, with nsqd's rules: command lines, names and numbers.</summary>
internal static class NsqSyntax
{
    private const int MaxNameLength = 64;
    private const string EphemeralSuffix = "#ephemeral";

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

    /// <summary>nsqd's topic and channel names: 1-64 of <c>[.a-zA-Z0-9_-]</c>, optionally ending in <c>#ephemeral</c>.</summary>
    public static bool IsValidName(string? name)
    {
        if (name is null || name.Length is < 1 or > MaxNameLength)
        {
            return false;
        }

        var stem = name.EndsWith(EphemeralSuffix, StringComparison.Ordinal) ? name[..^EphemeralSuffix.Length] : name;
        if (stem.Length == 0)
        {
            return false;
        }

        foreach (var c in stem)
        {
            if (!(char.IsAsciiLetterOrDigit(c) || c is '.' or '_' or '-'))
            {
                return false;
            }
        }

        return true;
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
