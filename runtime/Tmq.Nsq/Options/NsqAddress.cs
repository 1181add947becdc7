using System.Globalization;

namespace Tmq.Nsq;

/// <summary>A host and port: an nsqd TCP address (<c>host:4150</c>).</summary>
internal readonly record struct NsqAddress(string Host, int Port)
{
    public const string Rule = "host:port, e.g. \"127.0.0.1:4150\" or \"nsqd-1:4150\" ([::1]:4150 for IPv6)";

    public static bool TryParse(string? text, out NsqAddress address)
    {
        address = default;
        if (string.IsNullOrWhiteSpace(text))
        {
            return false;
        }

        text = text.Trim();
        var colon = text.LastIndexOf(':');
        if (colon <= 0 || !int.TryParse(text.AsSpan(colon + 1), NumberStyles.None, CultureInfo.InvariantCulture, out var port) || port is < 1 or > 65535)
        {
            return false;
        }

        var host = text[..colon];
        if (host.StartsWith('[') && host.EndsWith(']'))
        {
            host = host[1..^1];
        }
        else if (host.Contains(':', StringComparison.Ordinal))
        {
            return false;
        }

        if (host.Length == 0 || host.Any(static c => char.IsWhiteSpace(c) || c == '/'))
        {
            return false;
        }

        address = new NsqAddress(host, port);
        return true;
    }

    /// <summary>A lookupd address as an HTTP base URI: <c>http://host:4161</c> or <c>host:4161</c>.</summary>
    public static bool TryParseLookupd(string? text, out Uri uri)
    {
        uri = null!;
        if (string.IsNullOrWhiteSpace(text))
        {
            return false;
        }

        text = text.Trim();
        if (!text.Contains("://", StringComparison.Ordinal))
        {
            text = "http://" + text;
        }

        if (!Uri.TryCreate(text, UriKind.Absolute, out var parsed) || parsed.Scheme is not ("http" or "https") || parsed.Host.Length == 0)
        {
            return false;
        }

        uri = parsed;
        return true;
    }

    public override string ToString() => Host.Contains(':', StringComparison.Ordinal) ? $"[{Host}]:{Port}" : $"{Host}:{Port}";
}
