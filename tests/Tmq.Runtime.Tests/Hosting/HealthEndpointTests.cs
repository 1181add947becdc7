using System.Net;
using System.Net.Sockets;
using System.Text.Json;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace Tmq.Tests.Hosting;

/// <summary>The HTTP health endpoint over real loopback TCP.</summary>
public sealed class HealthEndpointTests
{
    private static readonly HttpClient Http = new() { Timeout = TimeSpan.FromSeconds(30) };

    [Fact]
    public async Task Get_HealthyAndDegraded_Answers200WithEveryCheck()
    {
        var port = FreePort();
        using var host = Host(port, checks => checks
            .AddCheck("tmq-consumer-main", () => HealthCheckResult.Healthy("Consumer main is consuming.", new Dictionary<string, object> { ["assigned"] = 3, ["running"] = true, ["rate"] = 0.5, ["spread"] = double.NaN }))
            .AddCheck("tmq-consumer-audit", () => HealthCheckResult.Degraded("Consumer audit holds no partitions.")));
        await host.StartAsync();

        using var response = await Http.GetAsync(Url(port, "/healthz"));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("application/json", response.Content.Headers.ContentType?.MediaType);
        using var report = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        Assert.Equal("Degraded", report.RootElement.GetProperty("status").GetString());
        var main = report.RootElement.GetProperty("checks").GetProperty("tmq-consumer-main");
        Assert.Equal("Healthy", main.GetProperty("status").GetString());
        Assert.Equal("Consumer main is consuming.", main.GetProperty("description").GetString());
        Assert.Equal(3, main.GetProperty("data").GetProperty("assigned").GetInt32());
        Assert.True(main.GetProperty("data").GetProperty("running").GetBoolean());
        Assert.Equal(0.5, main.GetProperty("data").GetProperty("rate").GetDouble());
        Assert.Equal("NaN", main.GetProperty("data").GetProperty("spread").GetString());
        Assert.Equal("Degraded", report.RootElement.GetProperty("checks").GetProperty("tmq-consumer-audit").GetProperty("status").GetString());
        await host.StopAsync();
    }

    [Fact]
    public async Task Get_OneUnhealthy_Answers503NamingIt()
    {
        var port = FreePort();
        using var host = Host(port, checks => checks
            .AddCheck("tmq-consumer-main", () => HealthCheckResult.Unhealthy("Consumer main halted a partition under the Stop policy."))
            .AddCheck("tmq-consumer-audit", () => HealthCheckResult.Healthy()));
        await host.StartAsync();

        using var response = await Http.GetAsync(Url(port, "/healthz"));

        Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
        using var report = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        Assert.Equal("Unhealthy", report.RootElement.GetProperty("status").GetString());
        var main = report.RootElement.GetProperty("checks").GetProperty("tmq-consumer-main");
        Assert.Equal("Consumer main halted a partition under the Stop policy.", main.GetProperty("description").GetString());
        await host.StopAsync();
    }

    [Fact]
    public async Task Get_CheckThatThrows_Answers503WithItsMessage()
    {
        var port = FreePort();
        using var host = Host(port, checks => checks.AddCheck("broken", () => throw new InvalidOperationException("the check itself failed")));
        await host.StartAsync();

        using var response = await Http.GetAsync(Url(port, "/healthz"));

        Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
        Assert.Contains("the check itself failed", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        await host.StopAsync();
    }

    [Fact]
    public async Task Request_OtherPathOrMethod_IsRefused()
    {
        var port = FreePort();
        using var host = Host(port, checks => checks.AddCheck("ok", () => HealthCheckResult.Healthy()), ("Tmq:Health:Path", "/live/z"));
        await host.StartAsync();

        using var nested = await Http.GetAsync(Url(port, "/live/z/more"));
        using var post = await Http.PostAsync(Url(port, "/live/z"), new StringContent(""));
        using var head = await Http.SendAsync(new HttpRequestMessage(HttpMethod.Head, Url(port, "/live/z")));
        using var trailingSlash = await Http.GetAsync(Url(port, "/live/z/"));

        Assert.Equal(HttpStatusCode.NotFound, nested.StatusCode);
        Assert.Equal(HttpStatusCode.MethodNotAllowed, post.StatusCode);
        Assert.Equal(HttpStatusCode.OK, head.StatusCode);
        Assert.Equal(HttpStatusCode.OK, trailingSlash.StatusCode);
        await host.StopAsync();
    }

    [Fact]
    public async Task Port_SharedWithAListenerAtTheRoot_EachAnswersItsOwnPath()
    {
        // The generated service's Prometheus exporter listens at http://+:<port>/ on the same port.
        var port = FreePort();
        using var root = new HttpListener();
        root.Prefixes.Add($"http://+:{port}/");
        root.Start();
        var rootServed = ServeOnceAsync(root, "metrics here");
        using var host = Host(port, checks => checks.AddCheck("ok", () => HealthCheckResult.Healthy()));
        await host.StartAsync();

        var health = await Http.GetAsync(Url(port, "/healthz"));
        var metrics = await Http.GetStringAsync(Url(port, "/metrics"));

        Assert.Equal(HttpStatusCode.OK, health.StatusCode);
        Assert.Contains("\"status\": \"Healthy\"", await health.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.Equal("metrics here", metrics);
        Assert.Equal("/metrics", await rootServed);
        await host.StopAsync();
    }

    [Fact]
    public async Task Start_PortHeldByAnotherProcess_FailsNamingTheSetting()
    {
        using var holder = new TcpListener(IPAddress.Any, 0);
        holder.Start();
        var port = ((IPEndPoint)holder.LocalEndpoint).Port;
        using var host = Host(port, checks => checks.AddCheck("ok", () => HealthCheckResult.Healthy()));

        var failure = await Assert.ThrowsAsync<TmqSettingsException>(() => host.StartAsync());

        Assert.Contains($"cannot listen on port {port}", failure.Message, StringComparison.Ordinal);
        Assert.Contains("Tmq:Health:Port", failure.Message, StringComparison.Ordinal);
        Assert.Contains("Tmq__Health__Port", failure.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Start_InvalidSettings_NamesEach()
    {
        using var host = Host(70000, checks => checks, ("Tmq:Health:Path", "healthz/"));

        var failure = await Assert.ThrowsAsync<TmqSettingsException>(() => host.StartAsync());

        Assert.Contains(failure.Failures, f => f.StartsWith("Tmq:Health:Port is 70000; it must be a TCP port from 1 to 65535, or 0", StringComparison.Ordinal));
        Assert.Contains(failure.Failures, f => f.StartsWith("Tmq:Health:Path is \"healthz/\"; it must be a path such as /healthz", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("/metrics", "that is the Prometheus endpoint")]
    [InlineData("/health z", "it must be a path such as /healthz")]
    [InlineData("/", "it must be a path such as /healthz")]
    public async Task Start_PathThatCannotServe_IsRefused(string path, string rule)
    {
        using var host = Host(0, checks => checks, ("Tmq:Health:Path", path));

        var failure = await Assert.ThrowsAsync<TmqSettingsException>(() => host.StartAsync());

        Assert.Contains(failure.Failures, f => f.StartsWith($"Tmq:Health:Path is \"{path}\"; {rule}", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Start_MisspeltSetting_NamesTheClosest()
    {
        // A swap of two letters is one edit: Paht is nearer Path than Port.
        using var host = Host(0, checks => checks, ("Tmq:Health:Paht", "/live"));

        var failure = await Assert.ThrowsAsync<TmqSettingsException>(() => host.StartAsync());

        Assert.Contains(failure.Failures, f => f.StartsWith("Tmq:Health:Paht is not a setting; the closest setting is Path.", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Start_PortNotANumber_SaysSo()
    {
        using var host = Host(0, checks => checks, ("Tmq:Health:Port", "ninety"));

        var failure = await Assert.ThrowsAsync<TmqSettingsException>(() => host.StartAsync());

        Assert.Contains(failure.Failures, f => f.StartsWith("Tmq:Health:Port is \"ninety\"; it must be a whole number", StringComparison.Ordinal));
    }

    private static IHost Host(int port, Func<IHealthChecksBuilder, IHealthChecksBuilder> checks, params (string Key, string Value)[] settings)
    {
        var builder = Microsoft.Extensions.Hosting.Host.CreateEmptyApplicationBuilder(new HostApplicationBuilderSettings());
        var config = new Dictionary<string, string?> { ["Tmq:Health:Port"] = port.ToString(System.Globalization.CultureInfo.InvariantCulture) };
        foreach (var (key, value) in settings)
        {
            config[key] = value;
        }

        builder.Configuration.AddInMemoryCollection(config);
        builder.Services.AddTmqHealthEndpoint();
        checks(builder.Services.AddHealthChecks());
        return builder.Build();
    }

    private static Uri Url(int port, string path) => new($"http://127.0.0.1:{port}{path}");

    private static async Task<string> ServeOnceAsync(HttpListener listener, string body)
    {
        var context = await listener.GetContextAsync();
        var bytes = System.Text.Encoding.UTF8.GetBytes(body);
        await context.Response.OutputStream.WriteAsync(bytes);
        context.Response.Close();
        return context.Request.Url!.AbsolutePath;
    }

    private static int FreePort()
    {
        using var probe = new TcpListener(IPAddress.Any, 0);
        probe.Start();
        return ((IPEndPoint)probe.LocalEndpoint).Port;
    }
}
