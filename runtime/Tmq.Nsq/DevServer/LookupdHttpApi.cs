using System.Net;
using System.Text.Json;

namespace Tmq.Nsq.DevServer;

/// <summary>
/// nsqlookupd 1.3's read API (nsqlookupd/http.go) for the one nsqd this server is: <c>/ping</c>,
/// <c>/info</c>, <c>/lookup?topic=</c>, <c>/topics</c>, <c>/channels?topic=</c>, <c>/nodes</c>. What a
/// real nsqd registers with nsqlookupd (every topic and channel) is read straight from the broker,
/// so registration is immediate here where a real one takes a moment.
/// </summary>
internal sealed class LookupdHttpApi(DevBroker broker, Func<IPEndPoint> tcp, Func<IPEndPoint> http)
{
    /// <summary>The address nsqd advertises; clients connect to it.</summary>
    public const string BroadcastAddress = "127.0.0.1";

    public ValueTask<HttpResponse> HandleAsync(HttpRequest request)
    {
        if (request.Path is not ("/ping" or "/info" or "/lookup" or "/topics" or "/channels" or "/nodes"))
        {
            return new(HttpResponse.Error(404, "NOT_FOUND"));
        }

        if (request.Method != "GET")
        {
            return new(HttpResponse.Error(405, "METHOD_NOT_ALLOWED"));
        }

        if (request.Path == "/ping")
        {
            return new(HttpResponse.PlainText("OK"));
        }

        if (!NsqdHttpApi.TryQuery(request, out var query, out var failure))
        {
            return new(failure!);
        }

        lock (broker.Gate)
        {
            return new(request.Path switch
            {
                "/info" => Json(w => w.WriteString("version", IdentifyCommand.Version)),
                "/lookup" => Lookup(query),
                "/topics" => Json(w => Names(w, "topics", broker.Topics.Select(t => t.Name))),
                "/channels" => query.Get("topic") is { } topic
                    ? Json(w => Names(w, "channels", broker.FindTopic(topic)?.Channels.Keys ?? Enumerable.Empty<string>()))
                    : HttpResponse.Error(400, "MISSING_ARG_TOPIC"),
                _ => Nodes(),
            });
        }
    }

    private static HttpResponse Json(Action<Utf8JsonWriter> fields) => HttpResponse.Json(JsonBytes.Write(w =>
    {
        w.WriteStartObject();
        fields(w);
        w.WriteEndObject();
    }));

    private static void Names(Utf8JsonWriter w, string property, IEnumerable<string> names)
    {
        w.WriteStartArray(property);
        foreach (var name in names)
        {
            w.WriteStringValue(name);
        }

        w.WriteEndArray();
    }

    private HttpResponse Lookup(QueryString query)
    {
        if (query.Get("topic") is not { } name)
        {
            return HttpResponse.Error(400, "MISSING_ARG_TOPIC");
        }

        if (broker.FindTopic(name) is not { } topic)
        {
            return HttpResponse.Error(404, "TOPIC_NOT_FOUND");
        }

        return Json(w =>
        {
            Names(w, "channels", topic.Channels.Keys);
            w.WriteStartArray("producers");
            WritePeer(w, topics: null);
            w.WriteEndArray();
        });
    }

    private HttpResponse Nodes() => Json(w =>
    {
        var topics = broker.Topics.Select(t => t.Name).ToList();
        w.WriteStartArray("producers");
        WritePeer(w, topics);
        w.WriteEndArray();
    });

    /// <summary>nsqlookupd's PeerInfo of this nsqd; <c>/nodes</c> adds tombstones and topics.</summary>
    private void WritePeer(Utf8JsonWriter w, List<string>? topics)
    {
        w.WriteStartObject();
        w.WriteString("remote_address", tcp().ToString());
        w.WriteString("hostname", Environment.MachineName);
        w.WriteString("broadcast_address", BroadcastAddress);
        w.WriteNumber("tcp_port", tcp().Port);
        w.WriteNumber("http_port", http().Port);
        w.WriteString("version", IdentifyCommand.Version);
        if (topics is not null)
        {
            w.WriteStartArray("tombstones");
            topics.ForEach(_ => w.WriteBooleanValue(false));
            w.WriteEndArray();
            Names(w, "topics", topics);
        }

        w.WriteEndObject();
    }
}
