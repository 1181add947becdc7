namespace Tmq.Nsq;

/// <summary>The NSQ transport's defaults, each with the reason for its value.</summary>
internal static class NsqDefaults
{
    /// <summary>nsqd's own default; a dead connection is noticed within a minute.</summary>
    public static readonly TimeSpan HeartbeatInterval = TimeSpan.FromSeconds(30);

    public static readonly TimeSpan ConnectTimeout = TimeSpan.FromSeconds(5);

    /// <summary>
    /// 200: enough messages in flight to keep 32 workers busy through a round trip to nsqd and to
    /// give key ordering some look-ahead, few enough that buffered messages are handled well within
    /// nsqd's 60 s msg_timeout by a handler taking up to ~5 s at Concurrency 32 (they are TOUCHed
    /// meanwhile regardless). Throughput-bound services raise it (the benchmark uses 2,500).
    /// </summary>
    public const int MaxInFlight = 200;

    /// <summary>go-nsq's default: lookupd answers change only when nsqd come and go.</summary>
    public static readonly TimeSpan LookupdPollInterval = TimeSpan.FromSeconds(60);

    /// <summary>
    /// Twice per Prometheus's usual 15-60 s scrape is more than alerts on a backlog need (they look
    /// at minutes), and a /stats call per nsqd every 30 s costs nsqd nothing noticeable.
    /// </summary>
    public static readonly TimeSpan DepthPollInterval = TimeSpan.FromSeconds(30);

    /// <summary>First wait before reconnecting to an nsqd; doubles to <see cref="MaxReconnectDelay"/>.</summary>
    public static readonly TimeSpan ReconnectDelay = TimeSpan.FromSeconds(1);

    public static readonly TimeSpan MaxReconnectDelay = TimeSpan.FromSeconds(60);

    /// <summary>nsqd's default <c>--max-req-timeout</c>: a REQ delay above it is refused, so delays are clamped to it.</summary>
    public static readonly TimeSpan MaxRequeueDelay = TimeSpan.FromHours(1);

    /// <summary>go-nsq's interval for moving RDY between connections when MaxInFlight is below their number.</summary>
    public static readonly TimeSpan RdyRotateInterval = TimeSpan.FromSeconds(5);

    /// <summary>How long shutdown waits for FIN/REQ to be written before closing a connection.</summary>
    public static readonly TimeSpan CloseFlushTimeout = TimeSpan.FromSeconds(2);

    /// <summary>How long a lookupd query may take; a slow one keeps its last answer.</summary>
    public static readonly TimeSpan LookupdTimeout = TimeSpan.FromSeconds(5);

    /// <summary>An HTTP publish fails fast so that a handler's own retry takes over (TMQ's HTTP mode had a short timeout too).</summary>
    public static readonly TimeSpan HttpPublishTimeout = TimeSpan.FromSeconds(3);

    /// <summary>A TCP publish waits this long for nsqd's OK before failing over to the next nsqd.</summary>
    public static readonly TimeSpan PublishTimeout = TimeSpan.FromSeconds(5);
}
