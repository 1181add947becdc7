using System.Net;
using System.Net.Sockets;

namespace Tmq.Nsq.Tests.Fakes;

/// <summary>
/// A scripted nsqd on a loopback port, for protocol edge cases a real nsqd will not produce on demand
/// (in the manner of go-nsq's tests). It records every command each connection sends and answers
/// them as nsqd 1.3 does; a test replaces answers with <see cref="Script"/> and pushes frames or
/// bytes of its choice through a <see cref="ScriptedNsqdConnection"/>.
/// </summary>
/// <remarks>
/// Default answers: IDENTIFY gets <see cref="IdentifyResponse"/> when the client asked for
/// feature_negotiation (<c>OK</c> otherwise); AUTH gets <see cref="AuthResponse"/>; SUB, PUB, MPUB
/// and DPUB get <c>OK</c> (empty PUB/DPUB bodies and empty MPUB messages get E_BAD_MESSAGE and a
/// close, as from nsqd); RDY, FIN, REQ, TOUCH and NOP get nothing; CLS gets <c>CLOSE_WAIT</c>; any
/// other command gets <c>E_INVALID</c> and the connection is closed. The fake negotiates nothing:
/// an IDENTIFY response that enables TLS, snappy or deflate is sent, but the connection stays plain.
/// Nothing here sleeps: waits complete on the change that satisfies them, or fail at a deadline.
/// </remarks>
internal sealed partial class ScriptedNsqd : IAsyncDisposable
{
    /// <summary>What nsqd 1.3.0 with default flags answers to IDENTIFY with feature_negotiation.</summary>
    public const string DefaultIdentifyResponse =
        """{"max_rdy_count":2500,"version":"1.3.0","max_msg_timeout":900000,"msg_timeout":60000,"tls_v1":false,"deflate":false,"deflate_level":6,"max_deflate_level":6,"snappy":false,"sample_rate":0,"auth_required":false,"output_buffer_size":16384,"output_buffer_timeout":250}""";

    /// <summary>nsqd answers a successful AUTH with JSON of this shape, not with <c>OK</c>.</summary>
    public const string DefaultAuthResponse = """{"identity":"scripted","identity_url":"","permission_count":1}""";

    private readonly Lock _gate = new();
    private readonly List<ScriptedNsqdConnection> _connections = [];
    private readonly List<Task> _connectionLoops = [];
    private readonly List<NsqCommand> _commands = [];
    private readonly List<Exception> _faults = [];
    private TaskCompletionSource _changed = NewSignal();
    private TcpListener? _listener;
    private Task _acceptLoop = Task.CompletedTask;
    private int _port;

    private ScriptedNsqd()
    {
    }

    /// <summary>The loopback address and port the fake listens on; the port stays the same across restarts.</summary>
    public IPEndPoint EndPoint => new(IPAddress.Loopback, _port);

    /// <summary>The JSON sent in answer to IDENTIFY with feature_negotiation.</summary>
    /// <value><see cref="DefaultIdentifyResponse"/>.</value>
    public string IdentifyResponse { get; set; } = DefaultIdentifyResponse;

    /// <value><see cref="DefaultAuthResponse"/>.</value>
    public string AuthResponse { get; set; } = DefaultAuthResponse;

    /// <summary>
    /// Runs on a connection's read loop for every command, before the default answer. Return true
    /// when the script answered (the default answer is then skipped; it may still call
    /// <see cref="ScriptedNsqdConnection.DefaultReplyAsync"/>), false to let the default answer.
    /// Commands of one connection are scripted one at a time and in order; an exception ends that
    /// connection and is listed in <see cref="Faults"/> and in every timeout message.
    /// </summary>
    public Func<ScriptedNsqdConnection, NsqCommand, Task<bool>>? Script { get; set; }

    public int ConnectionsAccepted
    {
        get
        {
            lock (_gate)
            {
                return _connections.Count;
            }
        }
    }

    public IReadOnlyList<ScriptedNsqdConnection> Connections
    {
        get
        {
            lock (_gate)
            {
                return [.. _connections];
            }
        }
    }

    /// <summary>Every command every connection sent, in the order they were answered.</summary>
    public IReadOnlyList<NsqCommand> Commands
    {
        get
        {
            lock (_gate)
            {
                return [.. _commands];
            }
        }
    }

    /// <summary>Exceptions thrown by <see cref="Script"/> or by the fake itself.</summary>
    public IReadOnlyList<Exception> Faults
    {
        get
        {
            lock (_gate)
            {
                return [.. _faults];
            }
        }
    }

    public bool IsListening
    {
        get
        {
            lock (_gate)
            {
                return _listener is not null;
            }
        }
    }

    /// <summary>Starts a fake nsqd on a free loopback port.</summary>
    public static ScriptedNsqd Start()
    {
        var server = new ScriptedNsqd();
        server.StartListening();
        return server;
    }

    /// <summary>Listens again on the same port after <see cref="StopListeningAsync"/>.</summary>
    public void StartListening()
    {
        lock (_gate)
        {
            if (_listener is not null)
            {
                return;
            }

            var listener = new TcpListener(IPAddress.Loopback, _port);
            // The previous listener's accepted sockets may sit in TIME_WAIT on this port.
            listener.Server.SetSocketOption(SocketOptionLevel.Socket, SocketOptionName.ReuseAddress, true);
            listener.Start();
            _port = ((IPEndPoint)listener.LocalEndpoint).Port;
            _listener = listener;
            _acceptLoop = AcceptAsync(listener);
        }
    }

    /// <summary>
    /// Stops accepting: new connections are refused once this returns. Connections already open stay
    /// open; use <see cref="AbortConnections"/> to drop them too.
    /// </summary>
    public async Task StopListeningAsync()
    {
        Task acceptLoop;
        lock (_gate)
        {
            _listener?.Stop();
            _listener = null;
            acceptLoop = _acceptLoop;
        }

        await acceptLoop;
    }

    /// <summary>Resets every open connection.</summary>
    public void AbortConnections()
    {
        foreach (var connection in Connections)
        {
            connection.Abort();
        }
    }

    public async ValueTask DisposeAsync()
    {
        await StopListeningAsync();
        AbortConnections();
        Task[] loops;
        lock (_gate)
        {
            loops = [.. _connectionLoops];
        }

        await Task.WhenAll(loops);
    }

    internal void Record(NsqCommand command)
    {
        lock (_gate)
        {
            _commands.Add(command);
        }

        Changed();
    }

    internal void Fault(Exception exception)
    {
        lock (_gate)
        {
            _faults.Add(exception);
        }

        Changed();
    }

    internal void Changed()
    {
        TaskCompletionSource changed;
        lock (_gate)
        {
            changed = _changed;
            _changed = NewSignal();
        }

        changed.TrySetResult();
    }

    private static TaskCompletionSource NewSignal() => new(TaskCreationOptions.RunContinuationsAsynchronously);

    private async Task AcceptAsync(TcpListener listener)
    {
        while (true)
        {
            Socket socket;
            try
            {
                socket = await listener.AcceptSocketAsync();
            }
            catch (Exception e) when (e is SocketException or ObjectDisposedException or InvalidOperationException)
            {
                return;
            }

            lock (_gate)
            {
                if (_listener != listener)
                {
                    // Accepted just as the test stopped listening: a stopped nsqd would have refused it.
                    socket.Close();
                    return;
                }

                var connection = new ScriptedNsqdConnection(this, _connections.Count, socket);
                _connections.Add(connection);
                _connectionLoops.Add(Task.Run(connection.RunAsync));
            }

            Changed();
        }
    }
}
