using System.Net.Security;
using System.Security.Cryptography.X509Certificates;
using Microsoft.Extensions.Logging;

namespace Tmq.Nsq.Connection;

/// <summary>Turns the configured <see cref="NsqClientSettings"/> into what a connection needs.</summary>
internal static class NsqConnectionFactory
{
    public static NsqConnectionSettings Settings(NsqClientSettings client, string clientId, TimeSpan? msgTimeout, ILogger logger, TimeProvider time) => new()
    {
        ClientId = clientId,
        HeartbeatInterval = client.HeartbeatInterval,
        MsgTimeout = msgTimeout,
        Tls = client.Tls,
        TlsOptions = client.Tls ? TlsOptions(client) : null,
        Snappy = client.Snappy,
        Deflate = client.Deflate && !client.Snappy,
        DeflateLevel = client.DeflateLevel,
        AuthSecret = client.AuthSecret,
        MaxMessageBytes = client.MaxMessageBytes,
        Identify = new Dictionary<string, string>(client.Identify, StringComparer.Ordinal),
        ConnectTimeout = client.ConnectTimeout,
        TimeProvider = time,
        Logger = logger,
    };

    private static SslClientAuthenticationOptions TlsOptions(NsqClientSettings client)
    {
        var options = new SslClientAuthenticationOptions();
        if (!string.IsNullOrWhiteSpace(client.TlsCertFile) && !string.IsNullOrWhiteSpace(client.TlsKeyFile))
        {
            options.ClientCertificates = [X509Certificate2.CreateFromPemFile(client.TlsCertFile, client.TlsKeyFile)];
        }

        if (!string.IsNullOrWhiteSpace(client.TlsCaFile))
        {
            var authority = X509CertificateLoader.LoadCertificateFromFile(client.TlsCaFile);
            options.CertificateChainPolicy = new X509ChainPolicy
            {
                TrustMode = X509ChainTrustMode.CustomRootTrust,
                CustomTrustStore = { authority },
                RevocationMode = X509RevocationMode.NoCheck,
            };
        }

        return options;
    }
}
