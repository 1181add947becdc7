using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;

namespace Tmq.Nsq.DevServer;

/// <summary>Accepts protocol V2 connections on a loopback port and keeps track of them until they end.</summary>
internal sealed class TcpAcceptor : IAsyncDisposable
{
    private readonly DevBroker _broker;
    private readonly TcpListener _listener;
    private readonly ConcurrentDictionary<ClientConnection, Task> _connections = new();
    private Task _accepting = Task.CompletedTask;

    /// <exception cref="SocketException">The port is taken.</exception>
    public TcpAcceptor(DevBroker broker, int port)
    {
        _broker = broker;
        _listener = new TcpListener(IPAddress.Loopback, port);
        _listener.Start();
    }

    public IPEndPoint EndPoint => (IPEndPoint)_listener.LocalEndpoint;

    public void Start() => _accepting = AcceptLoopAsync();

    /// <summary>Stops accepting and closes every connection; completes when they have all ended.</summary>
    public async Task StopAsync()
    {
        _listener.Stop();
        await _accepting;
        foreach (var connection in _connections.Keys)
        {
            connection.Abort();
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
            Track(socket);
        }
    }

    private void Track(Socket socket)
    {
        ClientConnection connection;
        try
        {
            socket.NoDelay = true;
            connection = new ClientConnection(socket, _broker);
        }
        catch (Exception e) when (e is SocketException or IOException or ObjectDisposedException)
        {
            socket.Dispose(); // gone before it could be served
            return;
        }

        var registered = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        _connections[connection] = ServeAsync(connection, registered.Task);
        registered.SetResult();
    }

    private async Task ServeAsync(ClientConnection connection, Task registered)
    {
        await registered;
        await connection.RunAsync();
        _connections.TryRemove(connection, out _);
    }
}
