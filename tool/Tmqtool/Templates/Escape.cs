using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;
using Tmqtool.Validation;

namespace Tmqtool.Templates;

/// <summary>
/// Escapers for every kind of file a value lands in. Validation already keeps values to small
/// ASCII charsets; these make a value safe even if it did not (defence in depth), so each one
/// handles quotes, backslashes, newlines, control and non-ASCII characters on its own.
/// </summary>
internal static partial class Escape
{
    /// <summary>A C# regular string literal, quotes included.</summary>
    internal static string CSharpString(string value) => BackslashQuoted(value, static _ => false);

    /// <summary>A C# namespace or identifier, unchanged; anything else cannot be escaped and is refused.</summary>
    internal static string CSharpNamespace(string value) =>
        CSharpNamespacePattern().IsMatch(value) && !value.Split('.').Any(CSharpKeywords.Contains)
            ? value
            : throw new TemplateValueException(value, "a C# namespace");

    /// <summary>A JSON string, quotes included; also safe inside HTML ('&lt;', '&gt;', '&amp;', '\'' escaped).</summary>
    internal static string Json(string value) => BackslashQuoted(value, static c => c is '<' or '>' or '&' or '\'');

    /// <summary>XML text or attribute content (without the surrounding quotes).</summary>
    internal static string Xml(string value)
    {
        var builder = new StringBuilder(value.Length);
        foreach (var c in value)
        {
            _ = c switch
            {
                '&' => builder.Append("&amp;"),
                '<' => builder.Append("&lt;"),
                '>' => builder.Append("&gt;"),
                '"' => builder.Append("&quot;"),
                '\'' => builder.Append("&apos;"),
                '\n' or '\r' or '\t' => AppendUnicode(builder, "&#x", c).Append(';'),

                // XML 1.0 cannot carry other control characters at all, escaped or not.
                < ' ' or '\uFFFE' or '\uFFFF' => throw new TemplateValueException(value, "XML"),
                _ => builder.Append(c),
            };
        }

        return builder.ToString();
    }

    /// <summary>A YAML double-quoted scalar, quotes included.</summary>
    internal static string Yaml(string value) => BackslashQuoted(value, static _ => false);

    /// <summary>Inline Markdown text: punctuation that starts markup is backslash-escaped, line breaks become spaces.</summary>
    internal static string Markdown(string value)
    {
        var builder = new StringBuilder(value.Length + 8);
        foreach (var c in value)
        {
            _ = c switch
            {
                '\\' or '`' or '*' or '_' or '{' or '}' or '[' or ']' or '<' or '>' or '(' or ')' or '#' or '+' or '!' or '|' or '~' or '&' or '"' or '\'' or '=' or '$'
                    => builder.Append('\\').Append(c),
                < ' ' or '\u007F' => builder.Append(' '),
                _ => builder.Append(c),
            };
        }

        return builder.ToString();
    }

    /// <summary>
    /// A whole Markdown code span, backticks included: the fence is longer than any run of
    /// backticks in the value, line breaks become spaces, and '|' is escaped so that the span is
    /// safe in a table cell too.
    /// </summary>
    internal static string MarkdownCode(string value)
    {
        var text = new StringBuilder(value.Length);
        int run = 0, longestRun = 0;
        foreach (var c in value)
        {
            run = c == '`' ? run + 1 : 0;
            longestRun = Math.Max(longestRun, run);
            _ = c switch
            {
                '|' => text.Append("\\|"),
                < ' ' or '\u007F' => text.Append(' '),
                _ => text.Append(c),
            };
        }

        var fence = new string('`', longestRun + 1);
        var padding = value.StartsWith('`') || value.EndsWith('`') ? " " : "";
        return fence + padding + text + padding + fence;
    }

    /// <summary>One POSIX shell word: as it is when plainly safe, else single-quoted.</summary>
    internal static string Shell(string value) =>
        ShellSafe().IsMatch(value) ? value : "'" + value.Replace("'", "'\\''", StringComparison.Ordinal) + "'";

    /// <summary>A PromQL string literal (label value), quotes included.</summary>
    internal static string PromQl(string value) => BackslashQuoted(value, static c => c is '\r' or '\t');

    /// <summary>
    /// A double-quoted string in the backslash grammar C#, JSON, YAML and PromQL share: quote,
    /// backslash and newline get short escapes, tab and carriage return too unless
    /// <paramref name="asUnicode"/> claims them, and everything outside printable ASCII (or
    /// claimed by <paramref name="asUnicode"/>) becomes <c>\uXXXX</c>.
    /// </summary>
    private static string BackslashQuoted(string value, Func<char, bool> asUnicode)
    {
        var builder = new StringBuilder(value.Length + 2).Append('"');
        foreach (var c in value)
        {
            _ = c switch
            {
                '"' => builder.Append("\\\""),
                '\\' => builder.Append("\\\\"),
                '\n' => builder.Append("\\n"),
                _ when asUnicode(c) => AppendUnicode(builder, "\\u", c),
                '\r' => builder.Append("\\r"),
                '\t' => builder.Append("\\t"),
                < ' ' or > '~' => AppendUnicode(builder, "\\u", c),
                _ => builder.Append(c),
            };
        }

        return builder.Append('"').ToString();
    }

    private static StringBuilder AppendUnicode(StringBuilder builder, string prefix, char c) =>
        builder.Append(prefix).Append(((int)c).ToString("X4", CultureInfo.InvariantCulture));

    [GeneratedRegex(@"\A[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*\z", RegexOptions.CultureInvariant)]
    private static partial Regex CSharpNamespacePattern();

    [GeneratedRegex(@"\A[A-Za-z0-9_./:=@%+,-]+\z", RegexOptions.CultureInvariant)]
    private static partial Regex ShellSafe();
}
