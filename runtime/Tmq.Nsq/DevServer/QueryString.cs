using System.Text;

namespace Tmq.Nsq.DevServer;

/// <summary>
/// Go's <c>url.ParseQuery</c> (Go 1.17+), which nsqd uses: pairs split on <c>&amp;</c>, a pair holding
/// <c>;</c> is an error, <c>+</c> is a space, <c>%</c> must start two hex digits. The first value of
/// a key wins when asked for one.
/// </summary>
internal sealed class QueryString
{
    private readonly Dictionary<string, string> _first = new(StringComparer.Ordinal);

    private QueryString()
    {
    }

    /// <summary>False when some pair was malformed (nsqd then answers 400 INVALID_REQUEST).</summary>
    public bool IsValid { get; private set; } = true;

    public static QueryString Parse(string rawQuery)
    {
        var query = new QueryString();
        foreach (var pair in rawQuery.Split('&'))
        {
            if (pair.Contains(';', StringComparison.Ordinal))
            {
                query.IsValid = false;
                continue;
            }

            if (pair.Length == 0)
            {
                continue;
            }

            var equals = pair.IndexOf('=', StringComparison.Ordinal);
            var (key, value) = equals < 0 ? (pair, string.Empty) : (pair[..equals], pair[(equals + 1)..]);
            if (Unescape(key) is { } k && Unescape(value) is { } v)
            {
                query._first.TryAdd(k, v);
            }
            else
            {
                query.IsValid = false;
            }
        }

        return query;
    }

    public bool TryGet(string key, out string value) => _first.TryGetValue(key, out value!);

    public string? Get(string key) => _first.GetValueOrDefault(key);

    /// <summary>Go's <c>QueryUnescape</c>; null when a <c>%</c> is not followed by two hex digits.</summary>
    private static string? Unescape(string text)
    {
        // The request line was read as Latin-1, so each character here is one byte of the request.
        var bytes = new List<byte>(text.Length);
        for (var i = 0; i < text.Length; i++)
        {
            switch (text[i])
            {
                case '+':
                    bytes.Add((byte)' ');
                    break;
                case '%' when i + 2 < text.Length && IsHex(text[i + 1]) && IsHex(text[i + 2]):
                    bytes.Add(Convert.ToByte(text.Substring(i + 1, 2), 16));
                    i += 2;
                    break;
                case '%':
                    return null;
                default:
                    bytes.Add((byte)text[i]);
                    break;
            }
        }

        return Encoding.UTF8.GetString([.. bytes]);
    }

    private static bool IsHex(char c) => char.IsAsciiHexDigit(c);
}
