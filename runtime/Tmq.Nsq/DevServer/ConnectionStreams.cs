using System.IO.Compression;
using System.Net.Security;
using System.Security.Authentication;
using System.Security.Cryptography.X509Certificates;
using Snappier;

namespace Tmq.Nsq.DevServer;

/// <summary>
/// The streams of one connection as IDENTIFY upgrades them: the socket, then TLS over it, then
/// snappy or deflate over either, in nsqd's order. Reads and writes use separate compression
/// streams over the same transport.
/// </summary>
/// <remarks>
/// Upgrades run on the write loop (see <see cref="FrameOutput.UpgradeAsync"/>) while the read
/// loop waits for them, so no read or write is in progress on the streams being replaced.
/// </remarks>
internal sealed class ConnectionStreams(Stream network) : IAsyncDisposable
{
    /// <summary>nsqd gives the TLS handshake 5 seconds.</summary>
    private static readonly TimeSpan HandshakeTimeout = TimeSpan.FromSeconds(5);

    private readonly List<Stream> _owned = [network];

    /// <summary>The socket or, after the TLS upgrade, the TLS stream.</summary>
    public Stream Transport { get; private set; } = network;

    public Stream Input { get; private set; } = network;

    public Stream Output { get; private set; } = network;

    public async ValueTask<(string Version, string CipherSuite)> UpgradeTlsAsync(X509Certificate2 certificate, TimeProvider time)
    {
        var tls = new SslStream(Transport, leaveInnerStreamOpen: true);
        Own(tls);
        using var timeout = new CancellationTokenSource(HandshakeTimeout, time);
        var options = new SslServerAuthenticationOptions
        {
            ServerCertificate = certificate,
            ClientCertificateRequired = false,
        };
        await tls.AuthenticateAsServerAsync(options, timeout.Token);
        Transport = Input = Output = tls;
        return (TlsVersionName(tls.SslProtocol), tls.NegotiatedCipherSuite.ToString());
    }

    public void UpgradeSnappy()
    {
        Input = Own(new SnappyStream(Transport, CompressionMode.Decompress, leaveOpen: true));
        Output = Own(new SnappyStream(Transport, CompressionMode.Compress, leaveOpen: true));
    }

    /// <summary>Raw deflate (no zlib header), as Go's compress/flate; every flush is a sync flush.</summary>
    public void UpgradeDeflate(int level)
    {
        Input = Own(new DeflateStream(Transport, CompressionMode.Decompress, leaveOpen: true));
        Output = Own(new DeflateStream(Transport, new ZLibCompressionOptions { CompressionLevel = level }, leaveOpen: true));
    }

    public async ValueTask DisposeAsync()
    {
        for (var i = _owned.Count - 1; i >= 0; i--)
        {
            try
            {
                await _owned[i].DisposeAsync();
            }
            catch (Exception e) when (e is IOException or ObjectDisposedException or NotSupportedException or InvalidOperationException)
            {
                // Disposing flushes compression streams; the socket may already be gone.
            }
        }
    }

    // nsqd's names (Go's prettyConnectionState) for /stats.
    private static string TlsVersionName(SslProtocols protocol) => protocol switch
    {
        SslProtocols.Tls12 => "TLS1.2",
        SslProtocols.Tls13 => "TLS1.3",
        _ => protocol.ToString(),
    };

    private T Own<T>(T stream)
        where T : Stream
    {
        _owned.Add(stream);
        return stream;
    }
}
