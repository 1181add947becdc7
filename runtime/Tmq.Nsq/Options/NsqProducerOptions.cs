namespace Tmq.Nsq;

/// <summary>Settings of the NSQ producer (section <c>Tmq:Producer</c>).</summary>
public sealed class NsqProducerOptions : NsqClientSettings
{
    /// <summary>The configuration section bound by <c>AddTmqNsqProducer</c>.</summary>
    public const string SectionName = "Tmq:Producer";

    /// <summary>
    /// nsqd TCP addresses (<c>host:4150</c>), in order of preference: a send goes to the first that
    /// answers, and fails over to the next when one cannot be reached or does not answer in time.
    /// Required in <see cref="NsqPublishMode.Tcp"/> mode. <value>Defaults to empty.</value>
    /// </summary>
    public List<string> Nsqd { get; set; } = [];

    /// <summary>nsqd HTTP addresses (<c>http://host:4151</c>) for <see cref="NsqPublishMode.Http"/> mode, with the same failover. <value>Defaults to empty.</value></summary>
    public List<string> Http { get; set; } = [];

    /// <summary>TCP (persistent connections, answers matched to commands) or HTTP (<c>POST /pub</c>, one request per send). <value>Defaults to <see cref="NsqPublishMode.Tcp"/>.</value></summary>
    public NsqPublishMode Mode { get; set; } = NsqPublishMode.Tcp;

    /// <summary>
    /// Write the TMQ envelope (key, headers and W3C trace context before the body) so that a Tmq
    /// consumer gets the key for ordering and continues the trace. A consumer from another stack
    /// then receives the envelope bytes, not the bare body: leave this off for topics such
    /// consumers read. <value>Defaults to false: bodies are sent as they are.</value>
    /// </summary>
    public bool Envelope { get; set; }

    /// <summary>
    /// How long one nsqd may take to answer before the send fails over to the next (TCP) or fails
    /// (the last one). A send succeeds only on nsqd's OK.
    /// <value>Defaults to 5 s in TCP mode; HTTP mode uses <see cref="HttpTimeout"/>.</value>
    /// </summary>
    public TimeSpan PublishTimeout { get; set; } = NsqDefaults.PublishTimeout;

    /// <summary>How long one HTTP publish may take. <value>Defaults to 3 s: short, so that a handler's own retry takes over quickly.</value></summary>
    public TimeSpan HttpTimeout { get; set; } = NsqDefaults.HttpPublishTimeout;

    /// <summary>IDENTIFY's client_id. <value>Defaults to null: the service name (<c>Tmq:Service</c>), else <c>tmq-producer</c>.</value></summary>
    public string? ClientId { get; set; }
}

/// <summary>How the NSQ producer reaches nsqd.</summary>
public enum NsqPublishMode
{
    /// <summary>NSQ's TCP protocol: PUB, MPUB and DPUB on persistent connections.</summary>
    Tcp,

    /// <summary>nsqd's HTTP API: <c>POST /pub</c>, <c>/mpub</c>, <c>/pub?defer=</c>.</summary>
    Http,
}
