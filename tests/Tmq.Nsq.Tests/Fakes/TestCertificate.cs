using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace Tmq.Nsq.Tests.Fakes;

/// <summary>A self-signed server certificate for 127.0.0.1 and localhost, and its PEM file for a client to trust.</summary>
internal sealed class TestCertificate : IDisposable
{
    private TestCertificate(X509Certificate2 certificate, string pemFile)
    {
        Certificate = certificate;
        PemFile = pemFile;
    }

    public X509Certificate2 Certificate { get; }

    /// <summary>The certificate (no key) as PEM: what a client names as its TlsCaFile.</summary>
    public string PemFile { get; }

    public static TestCertificate Create()
    {
        using var key = RSA.Create(2048);
        var request = new CertificateRequest("CN=localhost", key, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        var names = new SubjectAlternativeNameBuilder();
        names.AddIpAddress(IPAddress.Loopback);
        names.AddDnsName("localhost");
        request.CertificateExtensions.Add(names.Build());
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(certificateAuthority: true, hasPathLengthConstraint: false, pathLengthConstraint: 0, critical: true));
        using var ephemeral = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(1));
        var certificate = X509CertificateLoader.LoadPkcs12(ephemeral.Export(X509ContentType.Pfx), password: null);
        var pem = Path.Combine(Path.GetTempPath(), $"tmq-test-ca-{Guid.NewGuid():N}.pem");
        File.WriteAllText(pem, certificate.ExportCertificatePem());
        return new TestCertificate(certificate, pem);
    }

    public void Dispose()
    {
        Certificate.Dispose();
        File.Delete(PemFile);
    }
}
