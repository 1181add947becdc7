using System.Net.Security;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Tmq.Nsq.Connection;

/// <summary>How one connection to nsqd is opened and kept: what IDENTIFY says, and the client's own limits.</summary>
internal sealed class NsqConnectionSettings
{
    /// <summary>IDENTIFY's client_id: the service's PSM.</summary>
    public required string ClientId { get; init; }

    public string Hostname { get; init; } = Environment.MachineName;

    public string UserAgent { get; init; } = DefaultUserAgent;

    /// <summary>How often nsqd sends a heartbeat; a connection that hears nothing for twice this is closed.</summary>
    public TimeSpan HeartbeatInterval { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>Asked of nsqd for this connection; the answer (<see cref="IdentifyResponse.MsgTimeout"/>) is what counts.</summary>
    public TimeSpan? MsgTimeout { get; init; }

    /// <summary>Upgrade to TLS after IDENTIFY (<c>tls_v1</c>).</summary>
    public bool Tls { get; init; }

    /// <summary>The TLS handshake: target host, client certificates, validation. Null uses the nsqd's host name and the system's validation.</summary>
    public SslClientAuthenticationOptions? TlsOptions { get; init; }

    public bool Snappy { get; init; }

    public bool Deflate { get; init; }

    public int DeflateLevel { get; init; } = 6;

    /// <summary>Sent with AUTH when nsqd says auth_required. Never logged.</summary>
    public string? AuthSecret { get; init; }

    /// <summary>The largest message body accepted; a larger frame closes the connection.</summary>
    public int MaxMessageBytes { get; init; } = Protocol.NsqWire.DefaultMaxMessageBytes;

    /// <summary>More IDENTIFY fields (output_buffer_size, output_buffer_timeout, sample_rate...), passed as they are.</summary>
    public IReadOnlyDictionary<string, string> Identify { get; init; } = new Dictionary<string, string>();

    /// <summary>Connecting, the handshake and AUTH together.</summary>
    public TimeSpan ConnectTimeout { get; init; } = TimeSpan.FromSeconds(5);

    public TimeProvider TimeProvider { get; init; } = TimeProvider.System;

    public ILogger Logger { get; init; } = NullLogger.Instance;

    public static string DefaultUserAgent { get; } = $"tmq-nsq/{typeof(NsqConnectionSettings).Assembly.GetName().Version?.ToString(3) ?? "0"}";
}
