using System.Text;

namespace Tmq.Nsq.DevServer;

/// <summary>
/// Renders what a peer sent for an error message: printable ASCII as it is, other bytes as
/// <c>\xNN</c>, cut at 200 characters, so that an error frame says what arrived and stays small.
/// </summary>
internal static class Printable
{
    private const int MaxCharacters = 200;

    public static string Of(ReadOnlySpan<byte> bytes) => Render(bytes, quoted: false);

    /// <summary>A parameter (decoded as Latin-1, one character a byte) rendered the same way.</summary>
    public static string Of(string parameter) => Render(Encoding.Latin1.GetBytes(parameter), quoted: false);

    /// <summary>Like Go's <c>%q</c>, which nsqd uses for names: quoted, with quotes and backslashes escaped.</summary>
    public static string Quoted(string parameter) => "\"" + Render(Encoding.Latin1.GetBytes(parameter), quoted: true) + "\"";

    private static string Render(ReadOnlySpan<byte> bytes, bool quoted)
    {
        var text = new StringBuilder(Math.Min(bytes.Length, MaxCharacters) + 8);
        foreach (var b in bytes)
        {
            if (text.Length >= MaxCharacters)
            {
                return text.Append("...").ToString();
            }

            if (quoted && b is (byte)'"' or (byte)'\\')
            {
                text.Append('\\').Append((char)b);
            }
            else if (b is >= 0x20 and < 0x7f)
            {
                text.Append((char)b);
            }
            else
            {
                text.Append($"\\x{b:x2}");
            }
        }

        return text.ToString();
    }
}
