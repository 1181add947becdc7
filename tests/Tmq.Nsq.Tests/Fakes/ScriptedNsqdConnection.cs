using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;

namespace Tmq.Nsq.Tests.Fakes;

/// <summary>One client connection accepted by <see cref="ScriptedNsqd"/>: what it sent, and ways to answer it.</summary>
/// <remarks>
/// One read loop per connection parses the client's commands and answers them (script first, then
/// the default reply) before recording them. Sends from the test and from the loop are serialised
/// by a lock, so frames never interleave; a frame sent after awaiting a recorded command follows
/// that command's reply, as it would from nsqd.
/// </remarks>
internal sealed class ScriptedNsqdConnection : IDisposable
{
    /// <summary>nsqd's default <c>--max-body-size</c> (5 MiB); a larger size word ends the connection with E_BAD_BODY.</summary>
    public const int MaxBodyBytes = 5 * 1024 * 1024;

    private readonly ScriptedNsqd _server;
    private readonly Socket _socket;
    private readonly NetworkStream _stream;
    private readonly SemaphoreSlim _writeLock = new(1, 1);
    private readonly TaskCompletionSource _closed = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly CommandStream _input;

    internal ScriptedNsqdConnection(ScriptedNsqd server, int index, Socket socket)
    {
        _server = server;
        _socket = socket;
        _stream = new NetworkStream(socket, ownsSocket: false);
        _input = new CommandStream(_stream);
        Index = index;
        RemoteEndPoint = (IPEndPoint)socket.RemoteEndPoint!;
    }

    /// <summary>The order in which the server accepted this connection, from 0.</summary>
    public int Index { get; }

    public IPEndPoint RemoteEndPoint { get; }

    /// <summary>The first four bytes the client sent (<c>"  V2"</c> from a correct client), or null before they arrive.</summary>
    public byte[]? Magic { get; private set; }

    /// <summary>The commands this connection sent, in order.</summary>
    public IReadOnlyList<NsqCommand> Commands => _server.Commands.Where(c => c.Connection == Index).ToList();

    /// <summary>Completes when the connection ends, whichever side ended it.</summary>
    public Task Closed => _closed.Task;

    public bool IsClosed => _closed.Task.IsCompleted;

    public async Task SendAsync(ReadOnlyMemory<byte> bytes)
    {
        await _writeLock.WaitAsync();
        try
        {
            await _stream.WriteAsync(bytes);
        }
        finally
        {
            _writeLock.Release();
        }
    }

    public Task SendResponseAsync(string text) => SendAsync(NsqFrames.Response(text));

    /// <summary>Sends an error frame such as <c>E_FIN_FAILED FIN failed</c>; unlike nsqd, never closes the connection by itself.</summary>
    public Task SendErrorAsync(string text) => SendAsync(NsqFrames.Error(text));

    public Task SendHeartbeatAsync() => SendAsync(NsqFrames.Heartbeat());

    public Task SendMessageAsync(string id, ReadOnlyMemory<byte> body, int attempts = 1, long timestampNanoseconds = 0) =>
        SendAsync(NsqFrames.Message(id, body.Span, attempts, timestampNanoseconds));

    /// <summary>Resets the connection (RST, no FIN): the client sees a reset rather than an orderly close.</summary>
    public void Abort()
    {
        try
        {
            _socket.LingerState = new LingerOption(true, 0);
        }
        catch (Exception e) when (e is SocketException or ObjectDisposedException)
        {
            // Already closed: nothing left to reset.
        }

        _socket.Close();
    }

    /// <summary>Closes the connection in an orderly way (FIN), as nsqd does after a fatal error.</summary>
    public void Close()
    {
        try
        {
            _socket.Shutdown(SocketShutdown.Both);
        }
        catch (Exception e) when (e is SocketException or ObjectDisposedException)
        {
            // The client closed first.
        }

        _socket.Close();
    }

    public void Dispose() => Abort();

    internal async Task RunAsync()
    {
        try
        {
            await ReadCommandsAsync();
        }
        catch (Exception e) when (e is IOException or SocketException or ObjectDisposedException)
        {
            // The client went away or the test closed the connection: both end the loop.
        }
        catch (Exception e)
        {
            _server.Fault(new InvalidOperationException($"ScriptedNsqd connection #{Index} failed: {e.Message}", e));
        }
        finally
        {
            _socket.Close();
            _closed.TrySetResult();
            _server.Changed();
        }
    }

    private async Task ReadCommandsAsync()
    {
        var magic = await _input.ReadBytesAsync(4);
        if (magic is null)
        {
            return;
        }

        Magic = magic;
        _server.Changed();
        if (!magic.AsSpan().SequenceEqual("  V2"u8))
        {
            await SendErrorAsync("E_BAD_PROTOCOL");
            Close();
            return;
        }

        while (await _input.ReadLineAsync() is { } line)
        {
            var words = line.TrimEnd('\r').Split(' ');
            var name = words[0];
            byte[]? body = null;
            if (name is "IDENTIFY" or "AUTH" or "PUB" or "DPUB" or "MPUB")
            {
                var sizeWord = await _input.ReadBytesAsync(4);
                if (sizeWord is null)
                {
                    return;
                }

                var size = BinaryPrimitives.ReadInt32BigEndian(sizeWord);
                if (size < 0 || size > MaxBodyBytes)
                {
                    await SendErrorAsync($"E_BAD_BODY {name} body size {size} is outside 0..{MaxBodyBytes}");
                    _server.Record(new NsqCommand(Index, name, words[1..], null));
                    Close();
                    return;
                }

                body = await _input.ReadBytesAsync(size);
                if (body is null)
                {
                    return;
                }
            }

            var command = new NsqCommand(Index, name, words[1..], body);
            var script = _server.Script;
            var handled = script is not null && await script(this, command);
            var keepOpen = handled || await DefaultReplyAsync(command);
            _server.Record(command);
            if (!keepOpen)
            {
                Close();
                return;
            }
        }
    }

    /// <summary>
    /// Answers <paramref name="command"/> as nsqd 1.3 would; returns false when nsqd would then close
    /// the connection. Like nsqd, it rejects empty PUB/DPUB bodies and empty MPUB messages (E_BAD_MESSAGE).
    /// </summary>
    internal async Task<bool> DefaultReplyAsync(NsqCommand command)
    {
        switch (command.Name)
        {
            case "IDENTIFY":
                await SendResponseAsync(WantsFeatureNegotiation(command.Body!) ? _server.IdentifyResponse : "OK");
                return true;
            case "AUTH":
                await SendResponseAsync(_server.AuthResponse);
                return true;
            case "PUB" or "DPUB" when command.Body!.Length == 0:
                await SendErrorAsync($"E_BAD_MESSAGE {command.Name} invalid message body size 0");
                return false;
            case "MPUB" when !HasOnlyNonEmptyMessages(command):
                await SendErrorAsync("E_BAD_MESSAGE MPUB invalid body: a count above 0 and messages of at least 1 byte, exactly filling the body");
                return false;
            case "SUB" or "PUB" or "MPUB" or "DPUB":
                await SendResponseAsync("OK");
                return true;
            case "RDY" or "FIN" or "REQ" or "TOUCH" or "NOP":
                return true;
            case "CLS":
                await SendResponseAsync("CLOSE_WAIT");
                return true;
            default:
                await SendErrorAsync($"E_INVALID invalid command {command.Name}");
                return false;
        }
    }

    private static bool HasOnlyNonEmptyMessages(NsqCommand mpub)
    {
        try
        {
            var bodies = mpub.MpubBodies();
            return bodies.Count > 0 && bodies.All(b => b.Length > 0);
        }
        catch (Exception e) when (e is InvalidOperationException or ArgumentOutOfRangeException)
        {
            return false;
        }
    }

    private static bool WantsFeatureNegotiation(byte[] json)
    {
        try
        {
            using var document = System.Text.Json.JsonDocument.Parse(json);
            return document.RootElement.TryGetProperty("feature_negotiation", out var value) && value.ValueKind == System.Text.Json.JsonValueKind.True;
        }
        catch (System.Text.Json.JsonException)
        {
            return false;
        }
    }
}
