using System.Globalization;

namespace Tmq.Nsq.DevServer;

/// <summary>nsqd's <c>POST /pub?topic=&amp;defer=</c> and <c>POST /mpub?topic=&amp;binary=</c>, checks in nsqd's order.</summary>
internal sealed class NsqdHttpPublish(DevBroker broker)
{
    private DevNsqdOptions Options => broker.Options;

    public HttpResponse Pub(HttpRequest request)
    {
        if (request.BodyTooLarge || request.ContentLength > Options.MaxMsgSize || request.Body.Length > Options.MaxMsgSize)
        {
            return HttpResponse.Error(413, "MSG_TOO_BIG");
        }

        if (request.Body.Length == 0)
        {
            return HttpResponse.Error(400, "MSG_EMPTY");
        }

        var (topic, query, failure) = Topic(request);
        if (failure is not null)
        {
            return failure;
        }

        var defer = TimeSpan.Zero;
        if (query.TryGet("defer", out var text))
        {
            if (!long.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var milliseconds)
                || milliseconds < 0 || milliseconds > Options.MaxReqTimeout.TotalMilliseconds)
            {
                return HttpResponse.Error(400, "INVALID_DEFER");
            }

            defer = TimeSpan.FromMilliseconds(milliseconds);
        }

        broker.Publish(topic, [request.Body], defer);
        return HttpResponse.Text("OK");
    }

    public async ValueTask<HttpResponse> MpubAsync(HttpRequest request)
    {
        if (request.BodyTooLarge || request.ContentLength > Options.MaxBodySize || request.Body.Length > Options.MaxBodySize)
        {
            return HttpResponse.Error(413, "BODY_TOO_BIG");
        }

        var (topic, query, failure) = Topic(request);
        if (failure is not null)
        {
            return failure;
        }

        List<byte[]> bodies;
        if (IsBinary(query.Get("binary")))
        {
            try
            {
                bodies = await PublishCommands.ReadMessagesAsync(new BufferedInput(new MemoryStream(request.Body)), Options, declaredSize: null);
            }
            catch (ClientErrorException e)
            {
                return HttpResponse.Error(413, e.Code[2..]); // nsqd drops the "E_": BAD_BODY, BAD_MESSAGE
            }
        }
        else if (Lines(request.Body) is { } lines)
        {
            bodies = lines;
        }
        else
        {
            return HttpResponse.Error(413, "MSG_TOO_BIG");
        }

        broker.Publish(topic, bodies, TimeSpan.Zero);
        return HttpResponse.Text("OK");
    }

    // nsqd: no "binary" is text; "true"/"1" and "false"/"0" mean what they say; anything else is binary.
    private static bool IsBinary(string? value) => value is not (null or "false" or "0");

    /// <summary>Text mode: one message a line, empty lines skipped as nsqd does; null when a line is over the message limit.</summary>
    private List<byte[]>? Lines(byte[] body)
    {
        var lines = new List<byte[]>();
        var rest = body.AsSpan();
        while (rest.Length > 0)
        {
            var end = rest.IndexOf((byte)'\n');
            var line = end < 0 ? rest : rest[..end];
            rest = end < 0 ? [] : rest[(end + 1)..];
            if (line.Length > Options.MaxMsgSize)
            {
                return null;
            }

            if (line.Length > 0)
            {
                lines.Add(line.ToArray());
            }
        }

        return lines;
    }

    /// <summary>nsqd's getTopicFromQuery: the query parses and names a valid topic, which is created.</summary>
    private (string Topic, QueryString Query, HttpResponse? Failure) Topic(HttpRequest request)
    {
        var query = QueryString.Parse(request.RawQuery);
        var topic = query.Get("topic");
        var failure = !query.IsValid ? HttpResponse.Error(400, "INVALID_REQUEST")
            : topic is null ? HttpResponse.Error(400, "MISSING_ARG_TOPIC")
            : !NsqNames.IsValid(topic) ? HttpResponse.Error(400, "INVALID_TOPIC")
            : null;
        if (failure is null)
        {
            lock (broker.Gate)
            {
                broker.GetOrCreateTopic(topic!);
            }
        }

        return (topic ?? string.Empty, query, failure);
    }
}
