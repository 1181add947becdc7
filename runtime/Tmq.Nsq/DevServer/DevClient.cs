namespace Tmq.Nsq.DevServer;

/// <summary>nsqd's client states; the numbers are the <c>state</c> of <c>/stats</c>.</summary>
internal enum ClientState
{
    Init = 0,
    Subscribed = 3,
    Closing = 4,
}

/// <summary>
/// What the broker knows of one TCP client: its negotiated settings, RDY and in-flight counts,
/// subscription and statistics. The connection's I/O lives in <see cref="ClientConnection"/>.
/// </summary>
/// <remarks>Guarded by <see cref="DevBroker.Gate"/>, except the immutable members.</remarks>
internal sealed class DevClient
{
    public DevClient(long id, FrameOutput output, string remoteAddress, DateTimeOffset connectedAt, DevNsqdOptions options)
    {
        Id = id;
        Output = output;
        RemoteAddress = remoteAddress;
        ConnectedAt = connectedAt;
        var host = remoteAddress[..Math.Max(0, remoteAddress.LastIndexOf(':'))];
        ClientId = host;
        Hostname = host;
        MsgTimeout = options.MsgTimeout;
        HeartbeatInterval = options.HeartbeatInterval;
    }

    public long Id { get; }

    /// <summary>Frames for this client; thread-safe and never blocks, so it is written under the gate.</summary>
    public FrameOutput Output { get; }

    public string RemoteAddress { get; }

    public DateTimeOffset ConnectedAt { get; }

    public ClientState State { get; set; } = ClientState.Init;

    public DevChannel? Channel { get; set; }

    public long ReadyCount { get; set; }

    public long InFlightCount { get; set; }

    public ulong MessageCount { get; set; }

    public ulong FinishCount { get; set; }

    public ulong RequeueCount { get; set; }

    public TimeSpan MsgTimeout { get; set; }

    /// <summary>Zero when the client disabled heartbeats (heartbeat_interval -1).</summary>
    public TimeSpan HeartbeatInterval { get; set; }

    public int SampleRate { get; set; }

    public int OutputBufferSize { get; set; } = 16 * 1024;

    public TimeSpan OutputBufferTimeout { get; set; } = TimeSpan.FromMilliseconds(250);

    public string ClientId { get; set; }

    public string Hostname { get; set; }

    public string UserAgent { get; set; } = string.Empty;

    public bool Snappy { get; set; }

    public bool Deflate { get; set; }

    /// <summary>The negotiated TLS version and cipher suite, null without TLS.</summary>
    public (string Version, string CipherSuite)? Tls { get; set; }

    public bool Authed { get; set; }

    /// <summary>Messages published per topic; a client that published is a producer in <c>/stats</c>.</summary>
    public SortedDictionary<string, ulong> PubCounts { get; } = new(StringComparer.Ordinal);

    /// <summary>nsqd's <c>IsReadyForMessages</c>: subscribed, RDY above zero and above in-flight.</summary>
    public bool IsReadyForMessages =>
        State == ClientState.Subscribed && Channel is { Paused: false } && ReadyCount > 0 && InFlightCount < ReadyCount;

    public void Published(string topic, int count) =>
        PubCounts[topic] = PubCounts.GetValueOrDefault(topic) + (ulong)count;
}
