namespace Tmq.Nsq;

/// <summary>How the client talks to nsqd: what consumers' <c>Nsq</c> block and the producer's section share.</summary>
public class NsqClientSettings
{
    /// <summary>
    /// How often nsqd sends a heartbeat (IDENTIFY's heartbeat_interval); a connection that hears
    /// nothing for twice this is closed and reconnected.
    /// <value>Defaults to 30 s, nsqd's default.</value>
    /// </summary>
    public TimeSpan HeartbeatInterval { get; set; } = NsqDefaults.HeartbeatInterval;

    /// <summary>
    /// Upgrade each connection to TLS after IDENTIFY (<c>tls_v1</c>; nsqd needs <c>--tls-cert</c> and
    /// <c>--tls-key</c>). The server certificate is checked against the system's trust store and the
    /// nsqd's host name, unless <see cref="TlsCaFile"/> names the authority to trust instead.
    /// <value>Defaults to false.</value>
    /// </summary>
    public bool Tls { get; set; }

    /// <summary>A PEM file of the certificate authority that signed nsqd's certificate (e.g. a private CA). <value>Defaults to null: the system's trust store.</value></summary>
    public string? TlsCaFile { get; set; }

    /// <summary>A PEM client certificate for nsqd's <c>--tls-client-auth-policy</c>. <value>Defaults to null.</value></summary>
    public string? TlsCertFile { get; set; }

    /// <summary>The PEM private key of <see cref="TlsCertFile"/>. Never logged. <value>Defaults to null.</value></summary>
    public string? TlsKeyFile { get; set; }

    /// <summary>Snappy compression (nsqd's <c>--snappy</c>, on by default in nsqd). <value>Defaults to false.</value></summary>
    public bool Snappy { get; set; }

    /// <summary>Deflate compression (nsqd's <c>--deflate</c>); ignored when <see cref="Snappy"/> is on. <value>Defaults to false.</value></summary>
    public bool Deflate { get; set; }

    /// <summary>Deflate level, 1-9 (nsqd caps it at its <c>--max-deflate-level</c>). <value>Defaults to 6.</value></summary>
    public int DeflateLevel { get; set; } = 6;

    /// <summary>
    /// The secret sent with AUTH when nsqd requires it (<c>--auth-http-address</c>). Comes from
    /// configuration or the environment (<c>..._Nsq__AuthSecret</c>); never logged.
    /// <value>Defaults to null.</value>
    /// </summary>
    public string? AuthSecret { get; set; }

    /// <summary>
    /// The largest message body accepted: a larger frame closes the connection with an error saying
    /// so. Set it to nsqd's <c>--max-msg-size</c> if you raised that.
    /// <value>Defaults to 1 MiB, nsqd's default <c>--max-msg-size</c>.</value>
    /// </summary>
    public int MaxMessageBytes { get; set; } = Protocol.NsqWire.DefaultMaxMessageBytes;

    /// <summary>
    /// Connections to each nsqd. nsqd serves each connection with one goroutine, so one connection
    /// caps what one nsqd can send or take on behalf of this process; NSQ's own bench tools open one
    /// per core. A consumer splits MaxInFlight over all its connections; a producer spreads its sends.
    /// <value>Defaults to 1: enough for most services, and what go-nsq does.</value>
    /// </summary>
    public int ConnectionsPerNsqd { get; set; } = 1;

    /// <summary>How long connecting, the handshake and AUTH may take. <value>Defaults to 5 s.</value></summary>
    public TimeSpan ConnectTimeout { get; set; } = NsqDefaults.ConnectTimeout;

    /// <summary>
    /// More IDENTIFY fields, passed to nsqd as they are (<c>true</c>/<c>false</c> and whole numbers as
    /// JSON literals, anything else as a string), e.g. <c>"output_buffer_timeout": "100"</c>.
    /// <value>Defaults to empty.</value>
    /// </summary>
    public Dictionary<string, string> Identify { get; } = new(StringComparer.Ordinal);
}
