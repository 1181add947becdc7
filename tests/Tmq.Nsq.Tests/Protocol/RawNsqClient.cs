using System.Buffers;
using System.Net;
using System.Net.Sockets;
using System.Text;
using Tmq.Nsq.Protocol;

namespace Tmq.Nsq.Tests.Protocol;

/// <summary>
/// A bare TCP client that writes with <see cref="Command"/> and reads with <see cref="FrameReader"/>:
/// just the Protocol layer, with no connection logic that could hide what is on the wire.
/// </summary>
internal sealed class RawNsqClient : IAsyncDisposable
{
    private static readonly TimeSpan ReadTimeout = TimeSpan.FromSeconds(10);

    private readonly TcpClient _tcp;
    private readonly NetworkStream _stream;
    private byte[] _buffer = new byte[4096];
    private int _count;

    private RawNsqClient(TcpClient tcp)
    {
        _tcp = tcp;
        _stream = tcp.GetStream();
    }

    /// <summary>Connects and sends the protocol magic.</summary>
    public static async Task<RawNsqClient> ConnectAsync(IPEndPoint endPoint)
    {
        var tcp = new TcpClient();
        await tcp.ConnectAsync(endPoint);
        var client = new RawNsqClient(tcp);
        await client.SendRawAsync(NsqWire.MagicV2.ToArray());
        return client;
    }

    public Task SendAsync(Action<IBufferWriter<byte>> command)
    {
        var output = new ArrayBufferWriter<byte>();
        command(output);
        return SendRawAsync(output.WrittenMemory);
    }

    public async Task SendRawAsync(ReadOnlyMemory<byte> bytes) => await _stream.WriteAsync(bytes);

    /// <summary>Reads the next frame, or returns null when the server closed the connection first.</summary>
    public async Task<Frame?> ReadFrameAsync()
    {
        using var timeout = new CancellationTokenSource(ReadTimeout);
        while (true)
        {
            var buffer = new ReadOnlySequence<byte>(_buffer, 0, _count);
            if (FrameReader.TryRead(ref buffer, NsqWire.FrameLimit(NsqWire.DefaultMaxMessageBytes), out var frame))
            {
                var rest = (int)buffer.Length;
                Array.Copy(_buffer, _count - rest, _buffer, 0, rest);
                _count = rest;
                return frame;
            }

            if (_count == _buffer.Length)
            {
                Array.Resize(ref _buffer, _buffer.Length * 2);
            }

            var read = await _stream.ReadAsync(_buffer.AsMemory(_count), timeout.Token);
            if (read == 0)
            {
                return null;
            }

            _count += read;
        }
    }

    /// <summary>Reads the next frame and fails the test unless it is a response with <paramref name="text"/>.</summary>
    public async Task ExpectResponseAsync(string text)
    {
        var frame = await ReadFrameAsync();
        var got = frame is { } f ? $"{f.Type} {Encoding.UTF8.GetString(f.Data)}" : "the end of the connection";
        Assert.True(frame is { Type: FrameType.Response } && got == $"Response {text}", $"Expected the response {text}, got {got}.");
    }

    public ValueTask DisposeAsync()
    {
        _tcp.Dispose();
        return ValueTask.CompletedTask;
    }
}
