using Tmq.Nsq.Tests.Fakes;

namespace Tmq.Nsq.Tests.Connection;

/// <summary>TLS and AUTH against the dev nsqd, through a consumer and a producer configured as a service would be.</summary>
public sealed class NsqConnectionSecurityTests
{
    [Fact]
    public async Task Tls_TrustedAuthority_MessagesFlowOverTls()
    {
        using var certificate = TestCertificate.Create();
        await using var nsqd = await DevNsqd.StartAsync(new DevNsqdOptions { TlsCertificate = certificate.Certificate });
        var handled = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);
        var settings = Settings(nsqd);
        settings["Consumers:main:Nsq:Tls"] = "true";
        settings["Consumers:main:Nsq:TlsCaFile"] = certificate.PemFile;
        settings["Producer:Nsqd:0"] = $"127.0.0.1:{nsqd.TcpEndPoint.Port}";
        settings["Producer:Tls"] = "true";
        settings["Producer:TlsCaFile"] = certificate.PemFile;
        await using var host = await NsqTestHost.StartAsync(settings, (message, _) =>
        {
            handled.TrySetResult(message.ValueAsString());
            return Task.CompletedTask;
        }, producer: true);
        var producer = (ITmqProducer)host.Services.GetService(typeof(ITmqProducer))!;

        await producer.SendAsync("orders", null, "over tls");

        Assert.Equal("over tls", await handled.Task.Within());
    }

    [Fact]
    public async Task Tls_UntrustedCertificate_RefusedAndSaysWhy()
    {
        using var certificate = TestCertificate.Create();
        await using var nsqd = await DevNsqd.StartAsync(new DevNsqdOptions { TlsCertificate = certificate.Certificate });
        var settings = Settings(nsqd);
        settings["Consumers:main:Nsq:Tls"] = "true";
        await using var host = await NsqTestHost.StartAsync(settings, static (_, _) => Task.CompletedTask);

        await Eventually.TrueAsync(() => host.Logs.Contains("set Nsq:TlsCaFile"), "the refused certificate is logged with the fix");
        Assert.Null(nsqd.GetChannelStats("orders", "shop.orders.consumer"));
    }

    [Fact]
    public async Task Tls_NsqdWithoutTls_RefusedWithTheFix()
    {
        await using var nsqd = await DevNsqd.StartAsync();
        var settings = Settings(nsqd);
        settings["Consumers:main:Nsq:Tls"] = "true";
        await using var host = await NsqTestHost.StartAsync(settings, static (_, _) => Task.CompletedTask);

        await Eventually.TrueAsync(() => host.Logs.Contains("did not agree to tls_v1"), "the missing TLS is logged");
    }

    [Fact]
    public async Task Auth_RightSecret_Subscribes()
    {
        await using var nsqd = await DevNsqd.StartAsync(new DevNsqdOptions { AuthSecret = "s3cret" });
        var settings = Settings(nsqd);
        settings["Consumers:main:Nsq:AuthSecret"] = "s3cret";
        await using var host = await NsqTestHost.StartAsync(settings, static (_, _) => Task.CompletedTask);

        await Eventually.TrueAsync(() => nsqd.GetChannelStats("orders", "shop.orders.consumer") is { ClientCount: 1 }, "subscribed after AUTH");
        Assert.DoesNotContain(host.Logs.Lines, l => l.Contains("s3cret", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("wrong", "E_AUTH_FAILED")]
    [InlineData(null, "no secret is configured")]
    public async Task Auth_WrongOrMissingSecret_RefusedAndLoggedWithoutTheSecret(string? secret, string said)
    {
        await using var nsqd = await DevNsqd.StartAsync(new DevNsqdOptions { AuthSecret = "s3cret" });
        var settings = Settings(nsqd);
        settings["Consumers:main:Nsq:AuthSecret"] = secret;
        await using var host = await NsqTestHost.StartAsync(settings, static (_, _) => Task.CompletedTask);

        await Eventually.TrueAsync(() => host.Logs.Contains(said), "the refusal is logged");
        Assert.Null(nsqd.GetChannelStats("orders", "shop.orders.consumer"));
        Assert.DoesNotContain(host.Logs.Lines, l => secret is not null && l.Contains(secret, StringComparison.Ordinal));
    }

    private static Dictionary<string, string?> Settings(DevNsqd nsqd) => new()
    {
        ["Consumers:main:Nsq:Nsqd:0"] = $"127.0.0.1:{nsqd.TcpEndPoint.Port}",
    };
}
