using System.Net.Sockets;
using Tmq.Nsq.Protocol;

namespace Tmq.Nsq.DevServer;

/// <summary>
/// One TCP connection of protocol V2: the magic, then the read loop that runs commands through
/// <see cref="ProtocolV2"/>, beside the write loop of its <see cref="FrameOutput"/>.
/// </summary>
/// <remarks>
/// A fatal error frame is written, then the socket closes through <see cref="LingeringClose"/> so
/// the client reads the error rather than a reset. Nothing that happens on one connection reaches
/// another: every failure ends in <see cref="RunAsync"/>, which never throws.
/// </remarks>
internal sealed class ClientConnection
{
    private readonly Socket _socket;
    private int _aborted;

    public ClientConnection(Socket socket, DevBroker broker)
    {
        _socket = socket;
        Broker = broker;
        Streams = new ConnectionStreams(new NetworkStream(socket, ownsSocket: false));
        Input = new BufferedInput(Streams.Input);
        var remote = socket.RemoteEndPoint?.ToString() ?? "unknown:0";
        Client = new DevClient(broker.NextClientId(), Output, remote, broker.Now, broker.Options);
        Clocks = new ConnectionClocks(broker.Options.TimeProvider, broker.Options.HeartbeatInterval, () => Output.Send(FrameType.Response, NsqWire.Heartbeat), Abort);
    }

    public DevBroker Broker { get; }

    public DevClient Client { get; }

    public FrameOutput Output { get; } = new();

    public ConnectionStreams Streams { get; }

    public ConnectionClocks Clocks { get; }

    /// <summary>Commands and their bodies; replaced when IDENTIFY upgrades the streams.</summary>
    public BufferedInput Input { get; private set; }

    /// <summary>Serves the connection until either side ends it. Never throws.</summary>
    public async Task RunAsync()
    {
        var writing = Task.Run(() => Output.RunAsync(() => Streams.Output));
        var reading = ReadLoopAsync();
        if (await Task.WhenAny(reading, writing) == writing)
        {
            Abort(); // the write side failed or the server closed this client
        }

        await Quietly(reading);
        lock (Broker.Gate)
        {
            Broker.Disconnect(Client);
        }

        Output.Complete();
        await Quietly(writing);
        if (Volatile.Read(ref _aborted) == 0)
        {
            await LingeringClose.ShutAsync(_socket, Broker.Options.TimeProvider);
        }

        Clocks.Dispose();
        await Streams.DisposeAsync();
        _socket.Dispose();
    }

    /// <summary>Closes the socket at once (server stop, missed heartbeats). Thread-safe.</summary>
    public void Abort()
    {
        if (Interlocked.Exchange(ref _aborted, 1) == 1)
        {
            return;
        }

        Output.Complete();
        try
        {
            _socket.Shutdown(SocketShutdown.Both);
        }
        catch (SocketException)
        {
            // Already reset by the peer.
        }
        catch (ObjectDisposedException)
        {
            return;
        }

        _socket.Dispose();
    }

    /// <summary>Runs an IDENTIFY upgrade after the frames queued so far, then reads through the new stream.</summary>
    public async Task UpgradeAsync(Func<ValueTask> upgrade)
    {
        await Output.UpgradeAsync(upgrade);
        Input = new BufferedInput(Streams.Input);
    }

    private static async Task Quietly(Task task)
    {
        try
        {
            await task;
        }
#pragma warning disable CA1031 // Whatever broke this connection (a reset, a failed handshake, corrupt compressed data) ends it and nothing else.
        catch (Exception)
#pragma warning restore CA1031
        {
        }
    }

    private async Task ReadLoopAsync()
    {
        Clocks.ExpectCommand();
        byte[] magic;
        try
        {
            magic = await Input.ReadBytesAsync(NsqWire.MagicV2.Length);
        }
        catch (EndOfStreamException)
        {
            return;
        }

        if (!magic.AsSpan().SequenceEqual(NsqWire.MagicV2))
        {
            Output.Send(FrameType.Error, "E_BAD_PROTOCOL"u8);
            return;
        }

        lock (Broker.Gate)
        {
            Broker.Connect(Client);
        }

        Clocks.SetHeartbeat(Broker.Options.HeartbeatInterval);

        while (true)
        {
            Clocks.ExpectCommand();
            await Output.WaitForRoomAsync();
            ReadOnlyMemory<byte>? line;
            try
            {
                line = await Input.ReadLineAsync();
            }
            catch (InvalidDataException e)
            {
                Output.Send(FrameType.Error, $"E_INVALID {e.Message}");
                return;
            }

            if (line is not { } command)
            {
                return;
            }

            try
            {
                var response = await ProtocolV2.ExecuteAsync(this, NsqSyntax.SplitCommand(command.Span));
                if (response is not null)
                {
                    // The read deadline restarts before the answer leaves, so that a client (or a
                    // test advancing a fake clock) that has the answer knows the deadline's start.
                    Clocks.ExpectCommand();
                    Output.Send(FrameType.Response, response);
                }
            }
            catch (ClientErrorException e)
            {
                Output.Send(FrameType.Error, e.Message);
                if (e.Fatal)
                {
                    return;
                }
            }
        }
    }
}
