using System.Security.Cryptography.X509Certificates;

namespace Tmq.Nsq;

/// <summary>
/// Settings of a <see cref="DevNsqd"/>. The defaults are nsqd 1.3's own, so a client tested
/// against the development server meets the limits it will meet in production.
/// </summary>
public sealed class DevNsqdOptions
{
    /// <summary>Loopback port of the NSQ TCP protocol. <value>Defaults to 0: a free port, read it from <see cref="DevNsqd.TcpEndPoint"/>.</value></summary>
    public int TcpPort { get; set; }

    /// <summary>Loopback port of nsqd's HTTP API. <value>Defaults to 0: a free port, read it from <see cref="DevNsqd.HttpAddress"/>.</value></summary>
    public int HttpPort { get; set; }

    /// <summary>Loopback port of the nsqlookupd HTTP API. <value>Defaults to 0: a free port, read it from <see cref="DevNsqd.LookupdHttpAddress"/>.</value></summary>
    public int LookupdHttpPort { get; set; }

    /// <summary>How long a delivered message may stay unfinished before it is requeued, unless the client's IDENTIFY asks for another. <value>Defaults to 60 s (nsqd <c>--msg-timeout</c>).</value></summary>
    public TimeSpan MsgTimeout { get; set; } = TimeSpan.FromSeconds(60);

    /// <summary>The longest msg_timeout a client may ask for, and how far TOUCH may extend a delivery. <value>Defaults to 15 min (nsqd <c>--max-msg-timeout</c>).</value></summary>
    public TimeSpan MaxMsgTimeout { get; set; } = TimeSpan.FromMinutes(15);

    /// <summary>The longest REQ delay (longer ones are cut to it) and DPUB delay (longer ones are refused). <value>Defaults to 1 h (nsqd <c>--max-req-timeout</c>).</value></summary>
    public TimeSpan MaxReqTimeout { get; set; } = TimeSpan.FromHours(1);

    /// <summary>The highest RDY a client may send. <value>Defaults to 2500 (nsqd <c>--max-rdy-count</c>).</value></summary>
    public int MaxRdyCount { get; set; } = 2500;

    /// <summary>The largest message body, in bytes. <value>Defaults to 1 MiB (nsqd <c>--max-msg-size</c>).</value></summary>
    public int MaxMsgSize { get; set; } = 1024 * 1024;

    /// <summary>The largest IDENTIFY, AUTH or MPUB body, in bytes. <value>Defaults to 5 MiB (nsqd <c>--max-body-size</c>).</value></summary>
    public int MaxBodySize { get; set; } = 5 * 1024 * 1024;

    /// <summary>
    /// Heartbeat interval of a client whose IDENTIFY does not choose one. A client that sends nothing
    /// for two intervals is disconnected. <value>Defaults to 30 s (half of nsqd's <c>--client-timeout</c>).</value>
    /// </summary>
    public TimeSpan HeartbeatInterval { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>The clock of timeouts, deferrals, heartbeats and timestamps; tests pass a fake one. <value>Defaults to <see cref="TimeProvider.System"/>.</value></summary>
    public TimeProvider TimeProvider { get; set; } = TimeProvider.System;

    /// <summary>
    /// When set, IDENTIFY answers <c>auth_required: true</c> and a client must send this secret with
    /// AUTH before SUB or PUB (nsqd would ask an auth server; this one knows a single secret that
    /// grants every topic and channel). <value>Defaults to null: no authentication.</value>
    /// </summary>
    public string? AuthSecret { get; set; }

    /// <summary>When set, a client's IDENTIFY with <c>tls_v1: true</c> upgrades the connection to TLS with this certificate (which must hold its private key). <value>Defaults to null: TLS is not offered.</value></summary>
    public X509Certificate2? TlsCertificate { get; set; }

    /// <summary>Whether a client may negotiate snappy compression. <value>Defaults to true (nsqd <c>--snappy</c>).</value></summary>
    public bool Snappy { get; set; } = true;

    /// <summary>Whether a client may negotiate deflate compression. <value>Defaults to true (nsqd <c>--deflate</c>).</value></summary>
    public bool Deflate { get; set; } = true;

    /// <summary>The highest deflate level a client may ask for (1-9). <value>Defaults to 6 (nsqd <c>--max-deflate-level</c>).</value></summary>
    public int MaxDeflateLevel { get; set; } = 6;

    /// <summary>A copy, so that a running server does not see later changes.</summary>
    internal DevNsqdOptions Snapshot() => (DevNsqdOptions)MemberwiseClone();

    internal void Validate()
    {
        Port(TcpPort, nameof(TcpPort));
        Port(HttpPort, nameof(HttpPort));
        Port(LookupdHttpPort, nameof(LookupdHttpPort));
        Positive(MaxMsgTimeout, nameof(MaxMsgTimeout));
        Positive(MaxReqTimeout, nameof(MaxReqTimeout));
        Positive(HeartbeatInterval, nameof(HeartbeatInterval));
        if (MsgTimeout <= TimeSpan.Zero || MsgTimeout > MaxMsgTimeout)
        {
            throw new ArgumentOutOfRangeException(nameof(MsgTimeout), MsgTimeout, $"DevNsqdOptions.MsgTimeout must be above zero and at most MaxMsgTimeout ({MaxMsgTimeout}).");
        }

        AtLeastOne(MaxRdyCount, nameof(MaxRdyCount));
        AtLeastOne(MaxMsgSize, nameof(MaxMsgSize));
        AtLeastOne(MaxBodySize, nameof(MaxBodySize));
        if (MaxDeflateLevel is < 1 or > 9)
        {
            throw new ArgumentOutOfRangeException(nameof(MaxDeflateLevel), MaxDeflateLevel, "DevNsqdOptions.MaxDeflateLevel must be 1-9, as deflate levels are.");
        }

        ArgumentNullException.ThrowIfNull(TimeProvider);
        if (TlsCertificate is { HasPrivateKey: false })
        {
            throw new ArgumentException("DevNsqdOptions.TlsCertificate has no private key; a TLS server needs one. Load the certificate with its key (a .pfx, or CreateFromPemFile with the key file).", nameof(TlsCertificate));
        }
    }

    private static void Port(int value, string name)
    {
        if (value is < 0 or > 65535)
        {
            throw new ArgumentOutOfRangeException(name, value, $"DevNsqdOptions.{name} must be 0 (a free port) or a port number up to 65535.");
        }
    }

    private static void Positive(TimeSpan value, string name)
    {
        if (value <= TimeSpan.Zero)
        {
            throw new ArgumentOutOfRangeException(name, value, $"DevNsqdOptions.{name} must be above zero.");
        }
    }

    private static void AtLeastOne(int value, string name)
    {
        if (value < 1)
        {
            throw new ArgumentOutOfRangeException(name, value, $"DevNsqdOptions.{name} must be at least 1.");
        }
    }
}
