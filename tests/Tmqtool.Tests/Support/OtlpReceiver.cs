using System.Net;

namespace Tmqtool.Tests.Support;

/// <summary>
/// An OTLP/HTTP receiver for traces (<c>POST /v1/traces</c>, protobuf), run by a test: it keeps
/// every export's bytes and answers 200, and gives a test the decoded spans of one trace
/// (<see cref="OtlpSpan.Decode"/>).
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

    /// <summary>The spans of trace <paramref name="traceId"/> (lower-case hex) received so far, in start order.</summary>
    public List<OtlpSpan> Spans(string traceId)
    {
        byte[][] bodies;
        lock (_gate)
        {
            bodies = [.. _bodies];
        }

        return [.. bodies.SelectMany(static b => OtlpSpan.Decode(b)).Where(s => s.TraceId == traceId).OrderBy(static s => s.StartTimeUnixNano)];
    }

    /// <summary>
    /// Waits until the spans of trace <paramref name="traceId"/> received so far satisfy
    /// <paramref name="done"/> and returns them; fails listing what arrived when
    /// <paramref name="limit"/> passes first.
    /// </summary>
    public async Task<List<OtlpSpan>> WaitForTraceAsync(string traceId, Func<List<OtlpSpan>, bool> done, TimeSpan limit)
    {
        var deadline = DateTime.UtcNow + limit;
        while (true)
        {
            var spans = Spans(traceId);
            if (done(spans))
            {
                return spans;
            }

            Assert.True(
                DateTime.UtcNow < deadline,
                $"The spans of trace {traceId} were not all exported within {limit} ({Exports} export(s) received); these were:\n{string.Join('\n', spans)}");
            await Task.Delay(100);
        }
    }

    private int Exports
    {
        get
        {
            lock (_gate)
            {
                return _bodies.Count;
            }
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
