using System.Text.Json;

namespace Tmq.Nsq.DevServer;

/// <summary>
/// nsqd 1.3's <c>/stats?format=json</c>, field for field and in nsqd's order (nsqd/stats.go,
/// nsqd/http.go), including its nulls: <c>topics</c> is null for an unknown topic filter,
/// <c>clients</c> and <c>producers</c> are null with <c>include_clients=false</c>.
/// </summary>
/// <remarks>Requires <see cref="DevBroker.Gate"/>. Nothing is on disk, so every <c>backend_depth</c> is 0.</remarks>
internal static class StatsJson
{
    public static byte[] Write(DevBroker broker, StatsQuery query) => JsonBytes.Write(w =>
    {
        var topics = query.Topics(broker);
        w.WriteStartObject();
        w.WriteString("version", IdentifyCommand.Version);
        w.WriteString("health", "OK");
        w.WriteNumber("start_time", broker.StartTime.ToUnixTimeSeconds());
        w.WritePropertyName("topics");
        if (topics is null)
        {
            w.WriteNullValue();
        }
        else
        {
            w.WriteStartArray();
            foreach (var (topic, channels) in topics)
            {
                WriteTopic(w, topic, channels, query);
            }

            w.WriteEndArray();
        }

        if (query.IncludeMemory)
        {
            WriteMemory(w);
        }

        w.WritePropertyName("producers");
        if (topics is null || !query.IncludeClients)
        {
            w.WriteNullValue();
        }
        else
        {
            var producers = broker.Clients.Where(c => c.PubCounts.Count > 0).ToList();
            if (producers.Count == 0)
            {
                w.WriteNullValue(); // a nil slice in nsqd
            }
            else
            {
                w.WriteStartArray();
                producers.ForEach(c => WriteClient(w, c, query.Topic));
                w.WriteEndArray();
            }
        }

        w.WriteEndObject();
    });

    private static void WriteTopic(Utf8JsonWriter w, DevTopic topic, IReadOnlyList<DevChannel> channels, StatsQuery query)
    {
        w.WriteStartObject();
        w.WriteString("topic_name", topic.Name);
        w.WriteStartArray("channels");
        foreach (var channel in channels)
        {
            w.WriteStartObject();
            w.WriteString("channel_name", channel.Name);
            w.WriteNumber("depth", channel.Depth);
            w.WriteNumber("backend_depth", 0);
            w.WriteNumber("in_flight_count", channel.InFlightCount);
            w.WriteNumber("deferred_count", channel.DeferredCount);
            w.WriteNumber("message_count", channel.MessageCount);
            w.WriteNumber("requeue_count", channel.RequeueCount);
            w.WriteNumber("timeout_count", channel.TimeoutCount);
            w.WriteNumber("client_count", channel.Clients.Count);
            w.WritePropertyName("clients");
            if (query.IncludeClients)
            {
                w.WriteStartArray();
                foreach (var client in channel.Clients)
                {
                    WriteClient(w, client, query.Topic);
                }

                w.WriteEndArray();
            }
            else
            {
                w.WriteNullValue();
            }

            w.WriteBoolean("paused", channel.Paused);
            WriteLatency(w);
            w.WriteEndObject();
        }

        w.WriteEndArray();
        w.WriteNumber("depth", topic.Depth);
        w.WriteNumber("backend_depth", 0);
        w.WriteNumber("message_count", topic.MessageCount);
        w.WriteNumber("message_bytes", topic.MessageBytes);
        w.WriteBoolean("paused", topic.Paused);
        WriteLatency(w);
        w.WriteEndObject();
    }

    private static void WriteClient(Utf8JsonWriter w, DevClient client, string? topicFilter)
    {
        w.WriteStartObject();
        w.WriteString("client_id", client.ClientId);
        w.WriteString("hostname", client.Hostname);
        w.WriteString("version", "V2");
        w.WriteString("remote_address", client.RemoteAddress);
        w.WriteNumber("state", (int)client.State);
        w.WriteNumber("ready_count", client.ReadyCount);
        w.WriteNumber("in_flight_count", client.InFlightCount);
        w.WriteNumber("message_count", client.MessageCount);
        w.WriteNumber("finish_count", client.FinishCount);
        w.WriteNumber("requeue_count", client.RequeueCount);
        w.WriteNumber("connect_ts", client.ConnectedAt.ToUnixTimeSeconds());
        w.WriteNumber("sample_rate", client.SampleRate);
        w.WriteBoolean("deflate", client.Deflate);
        w.WriteBoolean("snappy", client.Snappy);
        w.WriteString("user_agent", client.UserAgent);
        if (client.Authed)
        {
            w.WriteBoolean("authed", true);
            w.WriteString("auth_identity", IdentifySettings.AuthIdentity);
        }

        var counts = client.PubCounts.Where(p => topicFilter is null || p.Key == topicFilter).ToList();
        if (counts.Count > 0)
        {
            w.WriteStartArray("pub_counts");
            foreach (var (topic, count) in counts)
            {
                w.WriteStartObject();
                w.WriteString("topic", topic);
                w.WriteNumber("count", count);
                w.WriteEndObject();
            }

            w.WriteEndArray();
        }

        w.WriteBoolean("tls", client.Tls is not null);
        w.WriteString("tls_cipher_suite", client.Tls?.CipherSuite ?? string.Empty);
        w.WriteString("tls_version", client.Tls?.Version ?? string.Empty);
        w.WriteString("tls_negotiated_protocol", string.Empty);
        w.WriteBoolean("tls_negotiated_protocol_is_mutual", false);
        w.WriteEndObject();
    }

    // nsqd without --e2e-processing-latency-percentile reports an empty quantile.
    private static void WriteLatency(Utf8JsonWriter w)
    {
        w.WriteStartObject("e2e_processing_latency");
        w.WriteNumber("count", 0);
        w.WriteNull("percentiles");
        w.WriteEndObject();
    }

    /// <summary>Go's memory figures, filled with this .NET process's nearest equivalents (0 where there is none).</summary>
    private static void WriteMemory(Utf8JsonWriter w)
    {
        var info = GC.GetGCMemoryInfo();
        var pause = (long)info.PauseDurations.ToArray().DefaultIfEmpty().Max().TotalMicroseconds;
        w.WriteStartObject("memory");
        w.WriteNumber("heap_objects", 0);
        w.WriteNumber("heap_idle_bytes", Math.Max(0, info.TotalCommittedBytes - info.HeapSizeBytes));
        w.WriteNumber("heap_in_use_bytes", info.HeapSizeBytes);
        w.WriteNumber("heap_released_bytes", 0);
        w.WriteNumber("gc_pause_usec_100", pause);
        w.WriteNumber("gc_pause_usec_99", pause);
        w.WriteNumber("gc_pause_usec_95", pause);
        w.WriteNumber("next_gc_bytes", 0);
        w.WriteNumber("gc_total_runs", GC.CollectionCount(0));
        w.WriteEndObject();
    }
}
