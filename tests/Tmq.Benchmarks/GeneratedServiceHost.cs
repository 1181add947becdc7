using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Console;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;
using Tmq.Kafka;

namespace Tmq.Benchmarks;

/// <summary>
/// The host a generated Kafka service runs (templates/mqserver/src/__Name__/Program.cs.liquid and
/// appsettings.json.liquid), rebuilt here so that <c>kafka-overhead</c> measures the consumer with
/// everything a user's service carries: <c>Host.CreateApplicationBuilder</c> (console logging at
/// Information), the health endpoint, the producer, the fleet control reader and status reports,
/// and the Prometheus listener. Keep it in step with the template.
/// </summary>
/// <remarks>
/// Two deliberate differences: the console logger writes to stderr (stdout carries the figures),
/// and the health endpoint and Prometheus listener share a free port picked per run (9464 would
/// clash between runs and with anything else on the machine). Tracing stays off, as in a generated
/// service without <c>OTEL_EXPORTER_OTLP_ENDPOINT</c>.
/// </remarks>
internal static class GeneratedServiceHost
{
    /// <summary>The generated appsettings.json, less the parts every run sets (topic, group, bootstrap servers, ports).</summary>
    private static readonly Dictionary<string, string?> AppSettings = new(StringComparer.Ordinal)
    {
        ["Logging:LogLevel:Default"] = "Information",
        ["Logging:LogLevel:Microsoft.Hosting.Lifetime"] = "Information",
        ["Tmq:Service"] = "bench.kafka.consumer",
        ["Tmq:Health:Path"] = "/healthz",
        ["Tmq:Consumers:main:Ordering"] = "Key",
        ["Tmq:Consumers:main:Concurrency"] = "32",
        ["Tmq:Consumers:main:MaxBufferedMessages"] = "10000",
        ["Tmq:Consumers:main:Retry:MaxAttempts"] = "5",
        ["Tmq:Consumers:main:Retry:InitialDelay"] = "00:00:00.200",
        ["Tmq:Consumers:main:Retry:MaxDelay"] = "00:00:30",
        ["Tmq:Consumers:main:Retry:Multiplier"] = "2",
        ["Tmq:Consumers:main:Retry:Jitter"] = "0.2",
        ["Tmq:Consumers:main:Retry:OnExhausted"] = "DeadLetter",
        ["Tmq:Consumers:main:ShutdownTimeout"] = "00:00:20",
        ["Tmq:Consumers:main:RevokeDrainTimeout"] = "00:00:10",
        ["Tmq:Consumers:main:Paused"] = "false",
    };

    /// <summary>
    /// A builder made as the generated Program.cs makes it, configured as its appsettings.json
    /// configures it, for a consumer of <paramref name="bootstrap"/>. Settings the caller adds later win.
    /// </summary>
    public static HostApplicationBuilder CreateBuilder(string bootstrap)
    {
        // No args and a content root without appsettings.json: the settings below are the whole file.
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { Args = [], ContentRootPath = AppContext.BaseDirectory });
        var port = FreePort();
        var settings = new Dictionary<string, string?>(AppSettings, StringComparer.Ordinal)
        {
            ["Metrics:Prometheus:Port"] = port.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["Tmq:Health:Port"] = port.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["Tmq:Consumers:main:Kafka:bootstrap.servers"] = bootstrap,
            ["Tmq:Producer:BootstrapServers"] = bootstrap,
        };
        builder.Configuration.AddInMemoryCollection(settings);
        builder.Services.Configure<ConsoleLoggerOptions>(static o => o.LogToStandardErrorThreshold = LogLevel.Trace);
        return builder;
    }

    /// <summary>
    /// Registers what the generated Program.cs registers, in its order; <paramref name="addConsumer"/>
    /// adds the consumer where the template calls <c>AddTmqKafkaConsumer&lt;MessageHandler&gt;("main")</c>.
    /// </summary>
    public static void Compose(HostApplicationBuilder builder, Action addConsumer)
    {
        builder.Services.AddTmqHealthEndpoint();
        addConsumer();
        builder.Services.AddTmqKafkaProducer();
        builder.Services.AddTmqKafkaControl();

        var metricsPort = builder.Configuration.GetValue("Metrics:Prometheus:Port", 9464);
        builder.Services.AddOpenTelemetry()
            .ConfigureResource(resource => resource.AddService(builder.Configuration["Tmq:Service"] ?? "bench.kafka.consumer"))
            .WithMetrics(metrics => metrics
                .AddMeter("Tmq")
                .AddPrometheusHttpListener(options =>
                {
                    options.Port = metricsPort;
                    options.ConfigureHttpListener = (_, listener) =>
                    {
                        listener.Prefixes.Clear();
                        listener.Prefixes.Add($"http://+:{metricsPort}/");
                    };
                }));
    }

    /// <summary>GETs <c>/metrics</c> and <c>/healthz</c> of a running host once, proving both listen (the lengths go to the run's line).</summary>
    public static async Task<string> ProbeAsync(int port)
    {
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(5) };
        var metrics = await http.GetStringAsync(new Uri($"http://127.0.0.1:{port}/metrics"));
        using var health = await http.GetAsync(new Uri($"http://127.0.0.1:{port}/healthz"));
        return $"/metrics {metrics.Length} B, /healthz {(int)health.StatusCode}";
    }

    private static int FreePort()
    {
        using var probe = new TcpListener(IPAddress.Loopback, 0);
        probe.Start();
        return ((IPEndPoint)probe.LocalEndpoint).Port;
    }
}
