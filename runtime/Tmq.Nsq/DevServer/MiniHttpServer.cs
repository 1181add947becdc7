using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Tmq.Nsq.DevServer;

/// <summary>
/// A small HTTP/1.1 server on a loopback port: keep-alive, Content-Length and chunked bodies up to
/// a limit, 400 for what it cannot parse. Enough for nsqd's and nsqlookupd's APIs and their clients
/// (curl, HttpClient); ASP.NET Core is not available to this package, and HttpListener cannot bind
/// a free port by itself.
/// </summary>
/// <remarks>
/// One task a connection, one request at a time. A handler runs on that task; its exceptions
/// become 500 INTERNAL_ERROR, as nsqd's panic handler answers.
/// </remarks>
internal sealed class MiniHttpServer : IAsyncDisposable
{
    private readonly TcpListener _listener;
    private readonly Func<HttpRequest, ValueTask<HttpResponse>> _handle;
    private readonly int _maxBody;
    private readonly ConcurrentDictionary<Socket, Task> _connections = new();
    private Task _accepting = Task.CompletedTask;

    /// <exception cref="SocketException">The port is taken.</exception>
    public MiniHttpServer(int port, int maxBody, Func<HttpRequest, ValueTask<HttpResponse>> handle)
    {
        _handle = handle;
        _maxBody = maxBody;
        _listener = new TcpListener(IPAddress.Loopback, port);
        _listener.Start();
    }

    public IPEndPoint EndPoint => (IPEndPoint)_listener.LocalEndpoint;

    public Uri Address => new($"http://{EndPoint}/");

    public void Start() => _accepting = AcceptLoopAsync();

    /// <summary>Stops accepting and closes every connection.</summary>
    public async Task StopAsync()
    {
        _listener.Stop();
        await _accepting;
        foreach (var socket in _connections.Keys)
        {
            socket.Dispose();
        }

        await Task.WhenAll(_connections.Values);
    }

    public async ValueTask DisposeAsync()
    {
        await StopAsync();
        _listener.Dispose();
    }

    private async Task AcceptLoopAsync()
    {
        while (await Listening.AcceptAsync(_listener) is { } socket)
        {
            var registered = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            _connections[socket] = ServeAsync(socket, registered.Task);
            registered.SetResult();
        }
    }

    private async Task ServeAsync(Socket socket, Task registered)
    {
        await registered;
        try
        {
            await using var stream = new NetworkStream(socket, ownsSocket: true);
            var input = new BufferedInput(stream);
            while (await ServeOneAsync(input, stream))
            {
            }
        }
#pragma warning disable CA1031 // A broken connection ends itself and nothing else.
        catch (Exception)
#pragma warning restore CA1031
        {
        }
        finally
        {
            socket.Dispose();
            _connections.TryRemove(socket, out _);
        }
    }

    /// <summary>Serves one request; false when the connection is to close.</summary>
    private async Task<bool> ServeOneAsync(BufferedInput input, Stream stream)
    {
        HttpRequest? request;
        try
        {
            request = await HttpRequestReader.ReadAsync(input, stream, _maxBody);
        }
        catch (HttpFailureException e)
        {
            var failure = new HttpResponse(e.Status, "text/plain; charset=utf-8", Encoding.UTF8.GetBytes($"{e.Status} {HttpResponse.Reason(e.Status)}: {e.Message}"), NsqHeader: false);
            await WriteAsync(stream, failure, close: true);
            return false;
        }

        if (request is null)
        {
            return false;
        }

        HttpResponse response;
        try
        {
            response = await _handle(request);
        }
#pragma warning disable CA1031 // nsqd answers a panicking handler with 500 INTERNAL_ERROR and carries on.
        catch (Exception)
#pragma warning restore CA1031
        {
            response = HttpResponse.Error(500, "INTERNAL_ERROR");
        }

        // A body too large was left unread and cannot be skipped reliably: that closes too.
        await WriteAsync(stream, response, close: !request.KeepAlive);
        return request.KeepAlive;
    }

    private static async Task WriteAsync(Stream stream, HttpResponse response, bool close)
    {
        await stream.WriteAsync(response.Head(close));
        await stream.WriteAsync(response.Body);
        await stream.FlushAsync();
    }
}
