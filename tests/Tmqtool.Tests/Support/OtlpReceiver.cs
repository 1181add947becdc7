using System.Net;

namespace Tmqtool.Tests.Support;

/// <summary>
/// An OTLP/HTTP receiver for traces (<c>POST /v1/traces</c>, protobuf), run by a test: it keeps
/// every export's bytes and answers 200. A trace id is 16 raw bytes in the protobuf, so a test finds
/// a trace by searching the bodies for it, without decoding them.
/// </summary>
internal sealed class OtlpReceiver : IDisposable
{
    private readonly HttpListener _listener = new();
    private readonly List<byte[]> _bodies = [];
    private readonly Lock _gate = new();
    private readonly Task _serving;

    public OtlpReceiver()
    {
        var port = Processes.FreePort();
        Endpoint = $"http://127.0.0.1:{port}";
        _listener.Prefixes.Add(Endpoint + "/");
        _listener.Start();
        _serving = Task.Run(ServeAsync);
    }

    /// <summary>What OTEL_EXPORTER_OTLP_ENDPOINT is set to; the exporter adds /v1/traces.</summary>
    public string Endpoint { get; }

    /// <summary>Waits until an export to /v1/traces contains <paramref name="bytes"/>.</summary>
    public async Task WaitForAsync(byte[] bytes, TimeSpan limit)
    {
        var deadline = DateTime.UtcNow + limit;
        while (true)
        {
            lock (_gate)
            {
                if (_bodies.Exists(b => b.AsSpan().IndexOf(bytes) >= 0))
                {
                    return;
                }
            }

            Assert.True(DateTime.UtcNow < deadline, $"No OTLP trace export contained {Convert.ToHexStringLower(bytes)} within {limit} ({_bodies.Count} export(s) received).");
            await Task.Delay(100);
        }
    }

    public void Dispose()
    {
        _listener.Close();
        try
        {
            _serving.Wait(TimeSpan.FromSeconds(5));
        }
        catch (AggregateException)
        {
            // The listener closed under a pending read.
        }
    }

    private async Task ServeAsync()
    {
        while (_listener.IsListening)
        {
            HttpListenerContext context;
            try
            {
                context = await _listener.GetContextAsync();
            }
            catch (Exception e) when (e is HttpListenerException or ObjectDisposedException or InvalidOperationException)
            {
                return;
            }

            using var body = new MemoryStream();
            await context.Request.InputStream.CopyToAsync(body);
            if (context.Request.HttpMethod == "POST" && context.Request.Url?.AbsolutePath == "/v1/traces")
            {
                lock (_gate)
                {
                    _bodies.Add(body.ToArray());
                }
            }

            context.Response.StatusCode = 200;
            context.Response.ContentType = "application/x-protobuf";
            context.Response.Close();
        }
    }
}
