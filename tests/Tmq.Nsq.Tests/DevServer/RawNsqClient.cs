using System.Buffers;
using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using Tmq.Nsq.Protocol;

namespace Tmq.Nsq.Tests.DevServer;

/// <summary>
/// A bare protocol V2 client for testing the development nsqd byte by byte: it writes commands
/// with <see cref="Command"/>, reads frames with <see cref="FrameReader"/>, and does nothing on its
/// own (no heartbeat answers, no RDY), so each test says exactly what goes on the wire.
/// </summary>
internal sealed class RawNsqClient : IAsyncDisposable
{
    public static readonly TimeSpan DefaultTimeout = TimeSpan.FromSeconds(10);

    private readonly Socket _socket;
    private readonly byte[] _chunk = new byte[64 * 1024];
    private byte[] _pending = [];
    private Stream _input;
    private Stream _output;

    private RawNsqClient(Socket socket)
    {
        _socket = socket;
        Network = new NetworkStream(socket, ownsSocket: true);
        _input = _output = Network;
    }

    public NetworkStream Network { get; }

    /// <summary>Bytes received and not yet read as frames (they must be none before an upgrade).</summary>
    public int PendingBytes => _pending.Length;

    public static async Task<RawNsqClient> ConnectAsync(IPEndPoint endPoint, bool sendMagic = true)
    {
        var socket = new Socket(endPoint.AddressFamily, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        await socket.ConnectAsync(endPoint);
        var client = new RawNsqClient(socket);
        if (sendMagic)
        {
            await client.SendRawAsync(NsqWire.MagicV2.ToArray());
        }

        return client;
    }

    /// <summary>Replaces the streams after an IDENTIFY upgrade.</summary>
    public void UseStreams(Stream input, Stream output) => (_input, _output) = (input, output);

    public async Task SendRawAsync(ReadOnlyMemory<byte> bytes)
    {
        await _output.WriteAsync(bytes);
        await _output.FlushAsync();
    }

    public Task SendAsync(Action<ArrayBufferWriter<byte>> write)
    {
        var buffer = new ArrayBufferWriter<byte>();
        write(buffer);
        return SendRawAsync(buffer.WrittenMemory);
    }

    public Task SendLineAsync(string line) => SendRawAsync(Encoding.ASCII.GetBytes(line + "\n"));

    /// <summary>The next frame, heartbeats included; null when the server closed the connection.</summary>
    public async Task<Frame?> ReadFrameAsync(TimeSpan? timeout = null)
    {
        using var cancel = new CancellationTokenSource(timeout ?? DefaultTimeout);
        while (true)
        {
            var sequence = new ReadOnlySequence<byte>(_pending);
            if (FrameReader.TryRead(ref sequence, NsqWire.FrameLimit(NsqWire.DefaultMaxMessageBytes), out var frame))
            {
                _pending = sequence.ToArray();
                return frame;
            }

            int read;
            try
            {
                read = await _input.ReadAsync(_chunk, cancel.Token);
            }
            catch (OperationCanceledException)
            {
                throw new TimeoutException($"No frame within {timeout ?? DefaultTimeout}.");
            }
            catch (IOException)
            {
                return null; // reset by the server
            }

            if (read == 0)
            {
                return null;
            }

            _pending = [.. _pending, .. _chunk.AsSpan(0, read)];
        }
    }

    /// <summary>The next frame that is not a heartbeat (heartbeats are skipped, not answered).</summary>
    public async Task<Frame> ReadNonHeartbeatAsync(TimeSpan? timeout = null)
    {
        while (true)
        {
            var frame = await ReadFrameAsync(timeout) ?? throw new InvalidOperationException("The server closed the connection.");
            if (!frame.IsHeartbeat)
            {
                return frame;
            }
        }
    }

    public async Task<NsqMessageFrame> ReadMessageAsync(TimeSpan? timeout = null)
    {
        var frame = await ReadNonHeartbeatAsync(timeout);
        Assert.True(frame.Type == FrameType.Message, $"Expected a message, got {frame.Type} \"{frame.Text}\".");
        return NsqMessageFrame.Parse(frame.Data);
    }

    public async Task ExpectOkAsync()
    {
        var frame = await ReadNonHeartbeatAsync();
        Assert.True(frame.IsOk, $"Expected OK, got {frame.Type} \"{frame.Text}\".");
    }

    /// <summary>Expects an error frame starting with <paramref name="code"/>; returns its text.</summary>
    public async Task<string> ExpectErrorAsync(string code)
    {
        var frame = await ReadNonHeartbeatAsync();
        Assert.True(frame.Type == FrameType.Error && frame.Text.StartsWith(code + " ", StringComparison.Ordinal) || frame.Text == code, $"Expected {code}, got {frame.Type} \"{frame.Text}\".");
        return frame.Text;
    }

    /// <summary>Expects the server to close the connection, skipping heartbeats.</summary>
    public async Task ExpectClosedAsync()
    {
        while (await ReadFrameAsync() is { } frame)
        {
            Assert.True(frame.IsHeartbeat, $"Expected the connection to close, got {frame.Type} \"{frame.Text}\".");
        }
    }

    /// <summary>IDENTIFY with <paramref name="settings"/> (serialized as JSON); returns the answer.</summary>
    public async Task<Frame> IdentifyAsync(object settings)
    {
        await SendAsync(w => Command.Identify(w, JsonSerializer.SerializeToUtf8Bytes(settings)));
        return await ReadNonHeartbeatAsync();
    }

    public async Task SubscribeAsync(string topic, string channel, int ready)
    {
        await SendAsync(w => Command.Sub(w, topic, channel));
        await ExpectOkAsync();
        await SendAsync(w => Command.Rdy(w, ready));
    }

    public async Task PublishAsync(string topic, string body)
    {
        await SendAsync(w => Command.Pub(w, topic, Encoding.UTF8.GetBytes(body)));
        await ExpectOkAsync();
    }

    /// <summary>
    /// Returns once the server has run every command sent before: commands of a connection run in
    /// order, and this one (a PUB to a topic of its own) is answered.
    /// </summary>
    public Task BarrierAsync() => PublishAsync("barrier", "x");

    public async ValueTask DisposeAsync()
    {
        await _output.DisposeAsync();
        await _input.DisposeAsync();
        await Network.DisposeAsync();
        _socket.Dispose();
    }
}
