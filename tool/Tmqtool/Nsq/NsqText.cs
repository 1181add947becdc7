using System.Globalization;
using System.Text;
using Tmq.Nsq.Envelope;
using Tmq.Nsq.Protocol;

namespace Tmqtool.Nsq;

/// <summary>How the NSQ verbs print messages: one line of UTF-8 text per field, control characters escaped.</summary>
internal static class NsqText
{
    /// <summary>
    /// A message as <c>tail</c> prints it: where it came from, its id, attempts and timestamp, then
    /// the key and headers when it is a TMQ envelope, then the value.
    /// </summary>
    internal static string Message(string topic, string nsqd, NsqMessageFrame message)
    {
        var output = new StringBuilder();
        var timestamp = message.Timestamp.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture);
        if (TmqEnvelope.TryUnwrap(message.Body, out var key, out var headers, out var body))
        {
            output.Append(CultureInfo.InvariantCulture, $"{topic}@{nsqd} id={message.IdString} attempts={message.Attempts} key={Show(key.Span)} timestamp={timestamp}\n");
            foreach (var header in headers)
            {
                output.Append(CultureInfo.InvariantCulture, $"  header {Show(header.Name)}={Show(header.Value.Span)}\n");
            }

            output.Append(CultureInfo.InvariantCulture, $"  value={Show(body.Span)}");
        }
        else
        {
            output.Append(CultureInfo.InvariantCulture, $"{topic}@{nsqd} id={message.IdString} attempts={message.Attempts} timestamp={timestamp}\n");
            output.Append(CultureInfo.InvariantCulture, $"  value={Show(message.Body.Span)}");
        }

        return output.ToString();
    }

    internal static string Show(ReadOnlySpan<byte> bytes) => Show(Encoding.UTF8.GetString(bytes));

    internal static string Show(string text)
    {
        var shown = new StringBuilder(text.Length);
        foreach (var c in text)
        {
            _ = c switch
            {
                '\n' => shown.Append("\\n"),
                '\r' => shown.Append("\\r"),
                '\t' => shown.Append("\\t"),
                '\\' => shown.Append("\\\\"),
                _ when char.IsControl(c) => shown.Append(CultureInfo.InvariantCulture, $"\\u{(int)c:x4}"),
                _ => shown.Append(c),
            };
        }

        return shown.ToString();
    }
}
