using System.Buffers;
using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using Tmq.Nsq.Protocol;

namespace Tmq.Nsq.Tests.Fakes;

/// <summary>
/// A bare protocol V2 client for testing the development nsqd byte by byte: it writes commands
/// with <see cref="Command"/>, reads frames with <see cref="FrameReader"/>, and does nothing on its
/// own (no heartbeat answers, no RDY), so each test says exactly what goes on the wire.
/// </summary>
internal sealed class RawNsqClient : IAsyncDisposable
{
    public static readonly TimeSpan DefaultTimeout = TimeSpan.FromSeconds(10);

    private static readonly int FrameLimit = NsqWire.FrameLimit(NsqWire.DefaultMaxMessageBytes);

    private readonly Socket _socket;
    private Stream _input;
    private Stream _output;

    private RawNsqClient(Socket socket)
    {
        _socket = socket;
        Network = new NetworkStream(socket, ownsSocket: true);
        _input = _output = Network;
    }

    public NetworkStream Network { get; }

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

    /// <summary>
    /// The next frame, heartbeats included; null when the server closed the connection. Reads
    /// exactly one frame's bytes, never more, so that the streams can be swapped after any frame
    /// (IDENTIFY's answer is followed by compressed or encrypted bytes).
    /// </summary>
    public async Task<Frame?> ReadFrameAsync(TimeSpan? timeout = null)
    {
        using var cancel = new CancellationTokenSource(timeout ?? DefaultTimeout);
        try
        {
            var header = new byte[NsqWire.FrameHeaderBytes];
            if (!await ReadExactlyAsync(header, cancel.Token))
            {
                return null;
            }

            var sequence = new ReadOnlySequence<byte>(header);
            if (FrameReader.TryRead(ref sequence, FrameLimit, out var frame))
            {
                return frame;
            }

            var whole = new byte[NsqWire.FrameHeaderBytes + BinaryPrimitives.ReadInt32BigEndian(header) - 4];
            header.CopyTo(whole, 0);
            if (!await ReadExactlyAsync(whole.AsMemory(NsqWire.FrameHeaderBytes), cancel.Token))
            {
                return null;
            }

            sequence = new ReadOnlySequence<byte>(whole);
            Assert.True(FrameReader.TryRead(ref sequence, FrameLimit, out frame));
            return frame;
        }
        catch (OperationCanceledException)
        {
            throw new TimeoutException($"No frame within {timeout ?? DefaultTimeout}.");
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

    /// <summary>Expects a response frame whose text is exactly <paramref name="text"/> (heartbeats skipped).</summary>
    public async Task ExpectResponseAsync(string text)
    {
        var frame = await ReadNonHeartbeatAsync();
        Assert.True(frame.Type == FrameType.Response && Encoding.UTF8.GetString(frame.Data) == text, $"Expected the response {text}, got {frame.Type} \"{frame.Text}\".");
    }

    /// <summary>Expects an error frame starting with <paramref name="code"/>; returns its text.</summary>
    public async Task<string> ExpectErrorAsync(string code)
    {
        var frame = await ReadNonHeartbeatAsync();
        Assert.True(frame.Type == FrameType.Error && (frame.Text.StartsWith(code + " ", StringComparison.Ordinal) || frame.Text == code), $"Expected {code}, got {frame.Type} \"{frame.Text}\".");
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

    /// <summary>False when the stream ends first; a reset counts as an end.</summary>
    private async Task<bool> ReadExactlyAsync(Memory<byte> buffer, CancellationToken cancellationToken)
    {
        try
        {
            await _input.ReadExactlyAsync(buffer, cancellationToken);
            return true;
        }
        catch (Exception e) when (e is EndOfStreamException or IOException)
        {
            return false;
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _output.DisposeAsync();
        await _input.DisposeAsync();
        await Network.DisposeAsync();
        _socket.Dispose();
    }
}
