namespace Tmq.Nsq;

/// <summary>A consumer's <c>Nsq</c> block: where nsqd is, and how much is in flight.</summary>
public sealed class NsqConsumerSettings : NsqClientSettings
{
    /// <summary>
    /// nsqlookupd HTTP addresses (e.g. <c>http://nsqlookupd-1:4161</c>); every nsqd that any of them
    /// lists for the topic is consumed, found again every <see cref="LookupdPollInterval"/> and when a
    /// connection drops. This, <see cref="Nsqd"/>, or both. <value>Defaults to empty.</value>
    /// </summary>
    public List<string> Lookupd { get; set; } = [];

    /// <summary>Fixed nsqd TCP addresses (<c>host:4150</c>), consumed whatever lookupd says (with lookupd, in addition to what it lists). <value>Defaults to empty.</value></summary>
    public List<string> Nsqd { get; set; } = [];

    /// <summary>
    /// The most messages in flight to this consumer over all its nsqd connections (the sum of RDY).
    /// Each connection gets an equal share and the remainder is handed out; below the number of
    /// connections, RDY moves between them so that none starves. Also bounds the consumer's buffer
    /// (with MaxBufferedMessages, whichever is lower).
    /// <value>Defaults to 200: see <c>NsqDefaults.MaxInFlight</c> for why.</value>
    /// </summary>
    public int MaxInFlight { get; set; } = NsqDefaults.MaxInFlight;

    /// <summary>How often lookupd is asked (with up to 10% jitter so that a fleet does not ask at once). <value>Defaults to 60 s.</value></summary>
    public TimeSpan LookupdPollInterval { get; set; } = NsqDefaults.LookupdPollInterval;

    /// <summary>
    /// How often the channel's depth (messages waiting) is read from each nsqd's HTTP <c>/stats</c>
    /// for the <c>tmq.consumer.depth</c> gauge, NSQ's counterpart of Kafka's lag. nsqd found through
    /// lookupd is asked at the HTTP port lookupd gives; a fixed <see cref="Nsqd"/> address at the next
    /// port (nsqd's 4151 for 4150). Zero turns it off. <value>Defaults to 30 s: see <c>NsqDefaults.DepthPollInterval</c>.</value>
    /// </summary>
    public TimeSpan DepthPollInterval { get; set; } = NsqDefaults.DepthPollInterval;

    /// <summary>
    /// The msg_timeout asked of nsqd: how long a message may stay in flight without a FIN, REQ or
    /// TOUCH. The runtime TOUCHes buffered and running messages before it, up to nsqd's
    /// max_msg_timeout. <value>Defaults to null: nsqd's <c>--msg-timeout</c> (60 s).</value>
    /// </summary>
    public TimeSpan? MsgTimeout { get; set; }

    /// <summary>First wait before reconnecting to an nsqd that dropped; doubles up to <see cref="MaxReconnectDelay"/>, with jitter. <value>Defaults to 1 s.</value></summary>
    public TimeSpan ReconnectDelay { get; set; } = NsqDefaults.ReconnectDelay;

    /// <summary>The longest wait between reconnection attempts. <value>Defaults to 60 s.</value></summary>
    public TimeSpan MaxReconnectDelay { get; set; } = NsqDefaults.MaxReconnectDelay;

    /// <summary>
    /// nsqd's <c>--max-req-timeout</c>: a retry delay above it is clamped (and logged), since nsqd
    /// refuses a longer REQ and ends the connection. <value>Defaults to 1 h, nsqd's default.</value>
    /// </summary>
    public TimeSpan MaxRequeueDelay { get; set; } = NsqDefaults.MaxRequeueDelay;

    /// <summary>
    /// Consumer-wide backoff as go-nsq does it: after a failure, RDY 0 on every connection for the
    /// retry delay, then one message at a time until one succeeds. It protects a failing downstream
    /// from the whole consumer, but one poison message also slows every healthy one; the runtime's
    /// default is per-message retries (REQ or in place, with backoff) and a dead letter, which keeps
    /// healthy messages flowing. <value>Defaults to false.</value>
    /// </summary>
    public bool Backoff { get; set; }
}
