using System.Net;
using System.Net.Sockets;
using System.Text.Json;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Tmq.Telemetry;

namespace Tmq.Hosting;

/// <summary>
/// Answers <c>GET {Path}</c> on <c>{Port}</c> with the service's health report: 200 while it is
/// Healthy or Degraded (a consumer holding no partitions is waiting, not broken), 503 once a check
/// is Unhealthy (a consumer's loop died, or the Stop policy halted a partition), so that a
/// liveness probe restarts the service. The body is JSON: the overall status and each check's.
/// </summary>
/// <remarks>
/// An <see cref="HttpListener"/>, like the generated service's Prometheus exporter: a worker has no
/// web server, and two listeners can share a port, each with its own path. Requests are answered one
/// at a time on the thread pool; a probe every few seconds needs no more.
/// </remarks>
internal sealed class HealthEndpoint(
    IOptions<HealthEndpointOptions> options,
    HealthCheckService health,
    ILogger<HealthEndpoint> logger) : IHostedService, IDisposable
{
    private static readonly JsonWriterOptions JsonOptions = new() { Indented = true };

    /// <summary>How long one probe waits for the health checks: well inside a typical probe timeout.</summary>
    private static readonly TimeSpan CheckTimeout = TimeSpan.FromSeconds(5);
    private readonly HealthEndpointOptions _options = options.Value;
    private readonly HttpListener? _listener = Listen(options.Value);
    private Task _serving = Task.CompletedTask;

    /// <summary>
    /// Takes the port when the host creates its hosted services, before any of them starts and
    /// before the generated service's Prometheus listener (created with them, later in order) takes
    /// the same port: a second instance of a service then fails with this message, not with the
    /// exporter's, which names no setting.
    /// </summary>
    private static HttpListener? Listen(HealthEndpointOptions options)
    {
        if (options.Port == 0)
        {
            return null;
        }

        var listener = new HttpListener();
        listener.Prefixes.Add($"http://+:{options.Port}{options.Path}/");
        try
        {
            listener.Start();
            return listener;
        }
        catch (Exception ex) when (ex is HttpListenerException or SocketException)
        {
            listener.Close();
            // The listener's error is quoted in the message, which is all a port conflict needs.
            throw new TmqSettingsException(
                Options.DefaultName,
                typeof(HealthEndpointOptions),
                $"The health endpoint cannot listen on port {options.Port} ({ex.Message}). Another process holds the port, perhaps another instance of "
                + $"this service: stop it, or set {HealthEndpointOptions.SectionName}:Port to a free port (0 turns the endpoint off) in appsettings.json or "
                + $"the environment variable {HealthEndpointOptions.SectionName.Replace(":", "__", StringComparison.Ordinal)}__Port, together with any "
                + "listener that shares it (the generated service serves Metrics:Prometheus:Port on the same port).");
        }
    }

    public Task StartAsync(CancellationToken cancellationToken)
    {
        if (_listener is { } listener)
        {
            _serving = Task.Run(() => ServeAsync(listener), CancellationToken.None);
            Log.HealthEndpointListening(logger, $"http://*:{_options.Port}{_options.Path}");
        }

        return Task.CompletedTask;
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        _listener?.Stop();
        await _serving.WaitAsync(cancellationToken).ConfigureAwait(false);
    }

    public void Dispose() => _listener?.Close();

    private async Task ServeAsync(HttpListener listener)
    {
        while (listener.IsListening)
        {
            HttpListenerContext context;
            try
            {
                context = await listener.GetContextAsync().ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is HttpListenerException or ObjectDisposedException or InvalidOperationException)
            {
                // Stopped.
                return;
            }

            try
            {
                await AnswerAsync(context).ConfigureAwait(false);
            }
            catch (Exception ex)
            {
                // A probe that hung up, or a health check that threw: the next probe gets its own answer.
                Log.HealthEndpointFailed(logger, ex);
                Abort(context.Response);
            }
        }
    }

    private static void Abort(HttpListenerResponse response)
    {
        try
        {
            response.Abort();
        }
        catch (Exception ex) when (ex is ObjectDisposedException or HttpListenerException or IOException)
        {
            // Already gone; nothing is left to tell this client.
        }
    }

    private async Task AnswerAsync(HttpListenerContext context)
    {
        var response = context.Response;
        var path = context.Request.Url?.AbsolutePath.TrimEnd('/');
        if (!string.Equals(path, _options.Path, StringComparison.Ordinal))
        {
            // The prefix also takes /healthzz and /healthz/x.
            response.StatusCode = (int)HttpStatusCode.NotFound;
            response.Close();
            return;
        }

        if (context.Request.HttpMethod is not ("GET" or "HEAD"))
        {
            response.StatusCode = (int)HttpStatusCode.MethodNotAllowed;
            response.AddHeader("Allow", "GET, HEAD");
            response.Close();
            return;
        }

        // A check that hangs fails this probe (the client sees its connection dropped), not every later one.
        using var timeout = new CancellationTokenSource(CheckTimeout);
        var report = await health.CheckHealthAsync(timeout.Token).ConfigureAwait(false);
        response.StatusCode = report.Status == HealthStatus.Unhealthy ? (int)HttpStatusCode.ServiceUnavailable : (int)HttpStatusCode.OK;
        response.ContentType = "application/json; charset=utf-8";
        response.AddHeader("Cache-Control", "no-store");
        var body = Json(report);
        response.ContentLength64 = body.Length;
        if (context.Request.HttpMethod == "GET")
        {
            await response.OutputStream.WriteAsync(body).ConfigureAwait(false);
        }

        response.Close();
    }

    /// <summary><c>{"status": "...", "checks": {"name": {"status", "description", "data"}}}</c>.</summary>
    internal static byte[] Json(HealthReport report)
    {
        using var buffer = new MemoryStream();
        using (var json = new Utf8JsonWriter(buffer, JsonOptions))
        {
            json.WriteStartObject();
            json.WriteString("status", report.Status.ToString());
            json.WriteStartObject("checks");
            foreach (var (name, entry) in report.Entries)
            {
                json.WriteStartObject(name);
                json.WriteString("status", entry.Status.ToString());
                json.WriteString("description", entry.Description ?? entry.Exception?.Message);
                json.WriteStartObject("data");
                foreach (var (key, value) in entry.Data)
                {
                    WriteValue(json, key, value);
                }

                json.WriteEndObject();
                json.WriteEndObject();
            }

            json.WriteEndObject();
            json.WriteEndObject();
        }

        return buffer.ToArray();
    }

    private static void WriteValue(Utf8JsonWriter json, string key, object? value)
    {
        switch (value)
        {
            case bool flag:
                json.WriteBoolean(key, flag);
                break;
            case int or long:
                json.WriteNumber(key, Convert.ToInt64(value, System.Globalization.CultureInfo.InvariantCulture));
                break;
            case double or float when double.IsFinite(Convert.ToDouble(value, System.Globalization.CultureInfo.InvariantCulture)):
                json.WriteNumber(key, Convert.ToDouble(value, System.Globalization.CultureInfo.InvariantCulture));
                break;
            case decimal number:
                json.WriteNumber(key, number);
                break;
            default:
                json.WriteString(key, Convert.ToString(value, System.Globalization.CultureInfo.InvariantCulture));
                break;
        }
    }
}
