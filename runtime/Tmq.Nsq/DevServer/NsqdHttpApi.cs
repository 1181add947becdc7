using System.Net;

namespace Tmq.Nsq.DevServer;

/// <summary>
/// nsqd 1.3's HTTP API (nsqd/http.go), with nsqd's methods, status codes and error messages:
/// <c>/ping</c>, <c>/info</c>, <c>/stats</c> here, publishing in <see cref="NsqdHttpPublish"/>,
/// topic and channel administration in <see cref="NsqdHttpAdmin"/>.
/// </summary>
internal sealed class NsqdHttpApi(DevBroker broker, Func<IPEndPoint> tcp, Func<IPEndPoint> http)
{
    private readonly NsqdHttpPublish _publish = new(broker);
    private readonly NsqdHttpAdmin _admin = new(broker);

    public ValueTask<HttpResponse> HandleAsync(HttpRequest request) => request.Path switch
    {
        "/ping" => Get(request, () => HttpResponse.PlainText("OK")),
        "/info" => Get(request, Info),
        "/stats" => Get(request, () => Stats(request)),
        "/pub" => Post(request, () => new(_publish.Pub(request))),
        "/mpub" => Post(request, () => _publish.MpubAsync(request)),
        "/topic/create" or "/topic/delete" or "/topic/empty" or "/topic/pause" or "/topic/unpause"
            or "/channel/create" or "/channel/delete" or "/channel/empty" or "/channel/pause" or "/channel/unpause"
            => Post(request, () => new(_admin.Run(request))),
        _ => new(HttpResponse.Error(404, "NOT_FOUND")),
    };

    /// <summary>The query of a request, or nsqd's 400 INVALID_REQUEST when it does not parse.</summary>
    public static bool TryQuery(HttpRequest request, out QueryString query, out HttpResponse? failure)
    {
        query = QueryString.Parse(request.RawQuery);
        failure = query.IsValid ? null : HttpResponse.Error(400, "INVALID_REQUEST");
        return failure is null;
    }

    private static ValueTask<HttpResponse> Get(HttpRequest request, Func<HttpResponse> handle) =>
        new(request.Method == "GET" ? handle() : HttpResponse.Error(405, "METHOD_NOT_ALLOWED"));

    private static ValueTask<HttpResponse> Post(HttpRequest request, Func<ValueTask<HttpResponse>> handle) =>
        request.Method == "POST" ? handle() : new(HttpResponse.Error(405, "METHOD_NOT_ALLOWED"));

    private HttpResponse Info() => HttpResponse.Json(JsonBytes.Write(w =>
    {
        w.WriteStartObject();
        w.WriteString("version", IdentifyCommand.Version);
        w.WriteString("broadcast_address", LookupdHttpApi.BroadcastAddress);
        w.WriteString("hostname", Environment.MachineName);
        w.WriteNumber("http_port", http().Port);
        w.WriteNumber("tcp_port", tcp().Port);
        w.WriteNumber("start_time", broker.StartTime.ToUnixTimeSeconds());
        w.WriteNumber("max_heartbeat_interval", Nanoseconds(TimeSpan.FromSeconds(60)));
        w.WriteNumber("max_output_buffer_size", 64 * 1024);
        w.WriteNumber("max_output_buffer_timeout", Nanoseconds(TimeSpan.FromSeconds(30)));
        w.WriteNumber("max_deflate_level", broker.Options.MaxDeflateLevel);
        w.WriteEndObject();
    }));

    private HttpResponse Stats(HttpRequest request)
    {
        if (!TryQuery(request, out var query, out var failure))
        {
            return failure!;
        }

        var stats = StatsQuery.From(query);
        lock (broker.Gate)
        {
            return stats.Json ? HttpResponse.Json(StatsJson.Write(broker, stats)) : HttpResponse.Text(StatsText.Write(broker, stats));
        }
    }

    // Go's time.Duration marshals as nanoseconds.
    private static long Nanoseconds(TimeSpan duration) => duration.Ticks * 100;
}
