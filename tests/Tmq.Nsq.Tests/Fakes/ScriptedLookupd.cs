using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Tmq.Nsq.Tests.Fakes;

/// <summary>An nsqlookupd whose <c>/lookup</c> answer a test sets: the nsqd it lists for every topic, or 404 TOPIC_NOT_FOUND when none.</summary>
internal sealed class ScriptedLookupd : IAsyncDisposable
{
    private readonly HttpListener _listener = new();
    private readonly Task _loop;
    private volatile string[] _producers = [];
    private int _lookups;

    private ScriptedLookupd(int port)
    {
        Address = new Uri($"http://127.0.0.1:{port}/");
        _listener.Prefixes.Add(Address.ToString());
        _listener.Start();
        _loop = Task.Run(ServeAsync);
    }

    public Uri Address { get; }

    /// <summary>How many /lookup requests were answered.</summary>
    public int Lookups => Volatile.Read(ref _lookups);

    public static ScriptedLookupd Start()
    {
        using var probe = new TcpListener(IPAddress.Loopback, 0);
        probe.Start();
        var port = ((IPEndPoint)probe.LocalEndpoint).Port;
        probe.Stop();
        return new ScriptedLookupd(port);
    }

    /// <summary>Lists these nsqd TCP ports on 127.0.0.1 from now on.</summary>
    public void List(params int[] tcpPorts) => _producers = [.. tcpPorts.Select(static p =>
        $$"""{"remote_address":"127.0.0.1:5555","hostname":"h","broadcast_address":"127.0.0.1","tcp_port":{{p}},"http_port":1,"version":"1.3.0"}""")];

    private async Task ServeAsync()
    {
        while (_listener.IsListening)
        {
            HttpListenerContext context;
            try
            {
                context = await _listener.GetContextAsync();
            }
            catch (Exception ex) when (ex is HttpListenerException or ObjectDisposedException or InvalidOperationException)
            {
                return;
            }

            var producers = _producers;
            var found = producers.Length > 0;
            var body = found ? $$"""{"channels":[],"producers":[{{string.Join(",", producers)}}]}""" : """{"message":"TOPIC_NOT_FOUND"}""";
            context.Response.StatusCode = found ? 200 : 404;
            var bytes = Encoding.UTF8.GetBytes(body);
            try
            {
                await context.Response.OutputStream.WriteAsync(bytes);
                context.Response.Close();
                Interlocked.Increment(ref _lookups);
            }
            catch (Exception ex) when (ex is HttpListenerException or IOException or ObjectDisposedException)
            {
                // The client gave up on its request (a consumer stopping cancels its lookup).
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        _listener.Stop();
        _listener.Close();
        await _loop;
    }
}
