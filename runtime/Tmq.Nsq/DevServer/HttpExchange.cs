using System.Text;

namespace Tmq.Nsq.DevServer;

/// <summary>A request as <see cref="MiniHttpServer"/> read it.</summary>
/// <param name="Method">The method, as sent (case-sensitive, as in Go).</param>
/// <param name="Path">The path, without the query.</param>
/// <param name="RawQuery">What follows <c>?</c>, still escaped.</param>
/// <param name="ContentLength">The declared Content-Length; null for a chunked or empty body.</param>
/// <param name="Body">The body; empty when <paramref name="BodyTooLarge"/>.</param>
/// <param name="BodyTooLarge">The body is over the server's limit and was not read: answer and close.</param>
/// <param name="KeepAlive">The client keeps the connection for another request (HTTP/1.1 without <c>Connection: close</c>).</param>
internal sealed record HttpRequest(string Method, string Path, string RawQuery, long? ContentLength, byte[] Body, bool BodyTooLarge, bool KeepAlive);

/// <summary>A response: status, optional content type, body, and whether to add nsqd's <c>X-NSQ-Content-Type</c>.</summary>
internal sealed record HttpResponse(int Status, string? ContentType, byte[] Body, bool NsqHeader = true)
{
    private const string JsonType = "application/json; charset=utf-8";
    private const string TextType = "text/plain; charset=utf-8";

    /// <summary>nsqd's plain-text answers (<c>/ping</c>): no NSQ header.</summary>
    public static HttpResponse PlainText(string text) => new(200, TextType, Encoding.UTF8.GetBytes(text), NsqHeader: false);

    /// <summary>nsqd's V1 answer of a text ("OK"); Go sniffs it as text/plain.</summary>
    public static HttpResponse Text(string text) => new(200, TextType, Encoding.UTF8.GetBytes(text));

    /// <summary>nsqd's V1 answer of nothing: 200, empty, no content type.</summary>
    public static HttpResponse Empty() => new(200, null, []);

    public static HttpResponse Json(byte[] json) => new(200, JsonType, json);

    /// <summary>nsqd's V1 error: the status and <c>{"message":"CODE"}</c>.</summary>
    public static HttpResponse Error(int status, string message) => new(status, JsonType, JsonBytes.Message(message));

    public static string Reason(int status) => status switch
    {
        100 => "Continue",
        200 => "OK",
        400 => "Bad Request",
        404 => "Not Found",
        405 => "Method Not Allowed",
        413 => "Request Entity Too Large",
        431 => "Request Header Fields Too Large",
        500 => "Internal Server Error",
        501 => "Not Implemented",
        503 => "Service Unavailable",
        _ => "Unknown",
    };

    /// <summary>The status line and headers, ready to write before <see cref="Body"/>.</summary>
    public byte[] Head(bool close)
    {
        var head = new StringBuilder(160);
        head.Append("HTTP/1.1 ").Append(Status).Append(' ').Append(Reason(Status)).Append("\r\n");
        if (ContentType is not null)
        {
            head.Append("Content-Type: ").Append(ContentType).Append("\r\n");
        }

        if (NsqHeader)
        {
            head.Append("X-Nsq-Content-Type: nsq; version=1.0\r\n");
        }

        head.Append("Content-Length: ").Append(Body.Length).Append("\r\n");
        if (close)
        {
            head.Append("Connection: close\r\n");
        }

        return Encoding.ASCII.GetBytes(head.Append("\r\n").ToString());
    }
}
