using System.Globalization;
using System.Text;

namespace Tmqtool.Validation;

/// <summary>
/// Shows user input inside messages without letting it act on the terminal: control characters,
/// escape sequences and non-ASCII characters (look-alikes such as Cyrillic 'а') appear as \uXXXX.
/// </summary>
internal static class Display
{
    private const int MaxShown = 80;

    internal static string Quote(string value)
    {
        var builder = new StringBuilder(Math.Min(value.Length, MaxShown) + 2).Append('\'');
        var shown = 0;
        foreach (var c in value)
        {
            if (shown++ == MaxShown)
            {
                builder.Append(CultureInfo.InvariantCulture, $"... ({value.Length} characters)");
                break;
            }

            builder.Append(c switch
            {
                '\n' => "\\n",
                '\r' => "\\r",
                '\t' => "\\t",
                '\\' => "\\\\",
                '\'' => "\\'",
                < ' ' or > '~' => string.Create(CultureInfo.InvariantCulture, $"\\u{(int)c:X4}"),
                _ => c.ToString(),
            });
        }

        return builder.Append('\'').ToString();
    }

    /// <summary>"non-ASCII character U+0430 at position 3", or null when all of it is printable ASCII.</summary>
    internal static string? FirstNonAscii(string value)
    {
        for (var i = 0; i < value.Length; i++)
        {
            var c = value[i];
            if (c > '~')
            {
                return string.Create(CultureInfo.InvariantCulture, $"the non-ASCII character U+{(int)c:X4} at position {i + 1} (a look-alike of an ASCII letter?)");
            }

            if (c < ' ')
            {
                return string.Create(CultureInfo.InvariantCulture, $"the control character U+{(int)c:X4} at position {i + 1}");
            }
        }

        return null;
    }
}
