using System.Globalization;
using System.Text;

namespace Tmq.Nsq.DevServer;

/// <summary>
/// Reads one HTTP/1.1 request: request line, headers, and a Content-Length or chunked body of at
/// most a limit. Anything else is refused with <see cref="HttpFailureException"/>.
/// </summary>
internal static class HttpRequestReader
{
    private const int MaxHeaders = 100;

    /// <summary>The next request, or null when the client closed the connection between requests.</summary>
    /// <param name="input">The connection's input.</param>
    /// <param name="output">Where <c>100 Continue</c> goes when the client expects it.</param>
    /// <param name="maxBody">The largest body read; a larger one leaves <see cref="HttpRequest.BodyTooLarge"/> set.</param>
    public static async ValueTask<HttpRequest?> ReadAsync(BufferedInput input, Stream output, int maxBody)
    {
        var requestLine = await ReadLineAsync(input);
        if (requestLine is null)
        {
            return null;
        }

        var parts = requestLine.Split(' ');
        if (parts.Length != 3 || parts[0].Length == 0 || !parts[2].StartsWith("HTTP/1.", StringComparison.Ordinal))
        {
            throw new HttpFailureException(400, $"malformed request line \"{Printable.Of(requestLine)}\"");
        }

        var (path, query) = SplitTarget(parts[1]);
        var headers = await ReadHeadersAsync(input);
        var chunked = headers.TryGetValue("transfer-encoding", out var encoding) && encoding.Contains("chunked", StringComparison.OrdinalIgnoreCase);
        long? length = null;
        if (!chunked && headers.TryGetValue("content-length", out var declared))
        {
            length = long.TryParse(declared, NumberStyles.None, CultureInfo.InvariantCulture, out var parsed)
                ? parsed
                : throw new HttpFailureException(400, $"Content-Length \"{Printable.Of(declared)}\" is not a number");
        }

        var connection = headers.GetValueOrDefault("connection", string.Empty);
        var keepAlive = parts[2] == "HTTP/1.1"
            ? !connection.Contains("close", StringComparison.OrdinalIgnoreCase)
            : connection.Contains("keep-alive", StringComparison.OrdinalIgnoreCase);
        if (length > maxBody)
        {
            return new HttpRequest(parts[0], path, query, length, [], BodyTooLarge: true, KeepAlive: false);
        }

        if (headers.TryGetValue("expect", out var expect) && expect.Equals("100-continue", StringComparison.OrdinalIgnoreCase))
        {
            await output.WriteAsync("HTTP/1.1 100 Continue\r\n\r\n"u8.ToArray());
        }

        try
        {
            var body = chunked ? await ReadChunkedAsync(input, maxBody) : await input.ReadBytesAsync((int)(length ?? 0));
            return new HttpRequest(parts[0], path, query, length, body ?? [], BodyTooLarge: body is null, KeepAlive: keepAlive && body is not null);
        }
        catch (EndOfStreamException)
        {
            throw new HttpFailureException(400, "the body ended early");
        }
    }

    private static (string Path, string Query) SplitTarget(string target)
    {
        // An absolute-form target (a proxy's) carries scheme and authority before the path.
        if (target.StartsWith("http://", StringComparison.OrdinalIgnoreCase))
        {
            var slash = target.IndexOf('/', "http://".Length);
            target = slash < 0 ? "/" : target[slash..];
        }

        if (!target.StartsWith('/'))
        {
            throw new HttpFailureException(400, $"request target \"{Printable.Of(target)}\" is not a path");
        }

        var mark = target.IndexOf('?', StringComparison.Ordinal);
        return mark < 0 ? (target, string.Empty) : (target[..mark], target[(mark + 1)..]);
    }

    private static async ValueTask<Dictionary<string, string>> ReadHeadersAsync(BufferedInput input)
    {
        var headers = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        for (var count = 0; ; count++)
        {
            var line = await ReadLineAsync(input) ?? throw new HttpFailureException(400, "the headers ended early");
            if (line.Length == 0)
            {
                return headers;
            }

            var colon = line.IndexOf(':', StringComparison.Ordinal);
            if (colon <= 0 || count >= MaxHeaders)
            {
                throw new HttpFailureException(count >= MaxHeaders ? 431 : 400, $"malformed or too many headers at \"{Printable.Of(line)}\"");
            }

            headers[line[..colon].Trim()] = line[(colon + 1)..].Trim();
        }
    }

    /// <summary>A chunked body, or null when it outgrows <paramref name="maxBody"/> (trailers are skipped).</summary>
    private static async ValueTask<byte[]?> ReadChunkedAsync(BufferedInput input, int maxBody)
    {
        using var body = new MemoryStream();
        while (true)
        {
            var line = await ReadLineAsync(input) ?? throw new EndOfStreamException();
            var sizeText = line.Split(';')[0].Trim();
            if (!int.TryParse(sizeText, NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out var size) || size < 0)
            {
                throw new HttpFailureException(400, $"chunk size \"{Printable.Of(line)}\" is not hexadecimal");
            }

            if (size == 0)
            {
                while ((await ReadLineAsync(input) ?? throw new EndOfStreamException()).Length > 0)
                {
                }

                return body.ToArray();
            }

            if (body.Length + size > maxBody)
            {
                return null;
            }

            body.Write(await input.ReadBytesAsync(size));
            if ((await ReadLineAsync(input))?.Length != 0)
            {
                throw new HttpFailureException(400, "a chunk does not end with CRLF");
            }
        }
    }

    private static async ValueTask<string?> ReadLineAsync(BufferedInput input)
    {
        try
        {
            var line = await input.ReadLineAsync();
            if (line is not { } bytes)
            {
                return null;
            }

            var span = bytes.Span;
            return Encoding.Latin1.GetString(span.Length > 0 && span[^1] == '\r' ? span[..^1] : span);
        }
        catch (InvalidDataException e)
        {
            throw new HttpFailureException(431, e.Message);
        }
    }
}

/// <summary>A request that cannot be served: answered with its status, then the connection closes.</summary>
internal sealed class HttpFailureException : Exception
{
    public HttpFailureException()
        : this(400, "bad request")
    {
    }

    public HttpFailureException(string message)
        : this(400, message)
    {
    }

    public HttpFailureException(string message, Exception innerException)
        : base(message, innerException) => Status = 400;

    public HttpFailureException(int status, string message)
        : base(message) => Status = status;

    public int Status { get; }
}
