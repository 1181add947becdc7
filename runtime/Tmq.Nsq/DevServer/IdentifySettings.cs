namespace Tmq.Nsq.DevServer;

/// <summary>
/// What IDENTIFY may change, within nsqd 1.3's bounds (nsqd/client_v2.go), and the JSON that
/// answers a feature-negotiating IDENTIFY.
/// </summary>
internal static class IdentifySettings
{
    /// <summary>The identity AUTH reports; this server has one secret, not an auth server's identities.</summary>
    public const string AuthIdentity = "dev";

    private const int MaxHeartbeatMilliseconds = 60_000;
    private const int MinOutputBufferTimeoutMilliseconds = 25;
    private const int MaxOutputBufferTimeoutMilliseconds = 30_000;
    private const int MinOutputBufferSize = 64;
    private const int MaxOutputBufferSize = 64 * 1024;

    /// <summary>Applies the request to the client (taking the gate); returns nsqd's error text, or null.</summary>
    public static string? Apply(DevBroker broker, DevClient client, IdentifyRequest request)
    {
        lock (broker.Gate)
        {
            // nsqd takes these as sent, empty or not.
            client.ClientId = request.ClientId;
            client.Hostname = request.Hostname;
            client.UserAgent = request.UserAgent;

            switch (request.HeartbeatInterval)
            {
                case -1: client.HeartbeatInterval = TimeSpan.Zero; break;
                case 0: break;
                case >= 1000 and <= MaxHeartbeatMilliseconds: client.HeartbeatInterval = TimeSpan.FromMilliseconds(request.HeartbeatInterval); break;
                default: return $"heartbeat interval ({request.HeartbeatInterval}) is invalid";
            }

            switch (request.OutputBufferTimeout)
            {
                case -1: client.OutputBufferTimeout = TimeSpan.Zero; break;
                case 0: break;
                case >= MinOutputBufferTimeoutMilliseconds and <= MaxOutputBufferTimeoutMilliseconds: client.OutputBufferTimeout = TimeSpan.FromMilliseconds(request.OutputBufferTimeout); break;
                default: return $"output buffer timeout ({request.OutputBufferTimeout}) is invalid";
            }

            switch (request.OutputBufferSize)
            {
                case -1: (client.OutputBufferSize, client.OutputBufferTimeout) = (1, TimeSpan.Zero); break;
                case 0: break;
                case >= MinOutputBufferSize and <= MaxOutputBufferSize: client.OutputBufferSize = request.OutputBufferSize; break;
                default: return $"output buffer size ({request.OutputBufferSize}) is invalid";
            }

            if (request.SampleRate is < 0 or > 99)
            {
                return $"sample rate ({request.SampleRate}) is invalid";
            }

            client.SampleRate = request.SampleRate;
            if (request.MsgTimeout == 0)
            {
                return null;
            }

            if (request.MsgTimeout < 1000 || request.MsgTimeout > broker.Options.MaxMsgTimeout.TotalMilliseconds)
            {
                return $"msg timeout ({request.MsgTimeout}) is invalid";
            }

            client.MsgTimeout = TimeSpan.FromMilliseconds(request.MsgTimeout);
            return null;
        }
    }

    /// <summary>nsqd's answer to <c>feature_negotiation: true</c>, field for field.</summary>
    public static byte[] Response(DevBroker broker, DevClient client, bool tls, bool deflate, int deflateLevel, bool snappy)
    {
        var options = broker.Options;
        lock (broker.Gate)
        {
            return JsonBytes.Write(w =>
            {
                w.WriteStartObject();
                w.WriteNumber("max_rdy_count", options.MaxRdyCount);
                w.WriteString("version", IdentifyCommand.Version);
                w.WriteNumber("max_msg_timeout", (long)options.MaxMsgTimeout.TotalMilliseconds);
                w.WriteNumber("msg_timeout", (long)client.MsgTimeout.TotalMilliseconds);
                w.WriteBoolean("tls_v1", tls);
                w.WriteBoolean("deflate", deflate);
                w.WriteNumber("deflate_level", deflateLevel);
                w.WriteNumber("max_deflate_level", options.MaxDeflateLevel);
                w.WriteBoolean("snappy", snappy);
                w.WriteNumber("sample_rate", client.SampleRate);
                w.WriteBoolean("auth_required", broker.AuthEnabled);
                w.WriteNumber("output_buffer_size", client.OutputBufferSize);
                w.WriteNumber("output_buffer_timeout", (long)client.OutputBufferTimeout.TotalMilliseconds);
                w.WriteEndObject();
            });
        }
    }
}
