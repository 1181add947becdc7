using System.Buffers.Binary;

namespace Tmq.Nsq.DevServer;

/// <summary>
/// Reads lines, big-endian sizes and exact byte counts from a stream through one fixed buffer.
/// Used by the protocol connections and the HTTP server.
/// </summary>
/// <remarks>
/// Nothing is allocated on a peer's word: a line longer than the buffer is refused, and a body is
/// allocated as its bytes arrive (callers check a size against its limit first).
/// </remarks>
internal sealed class BufferedInput(Stream stream, int bufferBytes = BufferedInput.DefaultBufferBytes)
{
    /// <summary>nsqd reads commands through a 16 KiB buffer: the longest command line.</summary>
    public const int DefaultBufferBytes = 16 * 1024;

    private const int EagerAllocationBytes = 64 * 1024;

    private readonly byte[] _buffer = new byte[bufferBytes];
    private int _start;
    private int _end;

    /// <summary>Bytes read from the stream and not yet consumed.</summary>
    public int Buffered => _end - _start;

    /// <summary>
    /// The next line without its <c>\n</c> (a trailing <c>\r</c> is kept), valid until the next read;
    /// null when the stream ends before a full line.
    /// </summary>
    /// <exception cref="InvalidDataException">The line does not fit the buffer.</exception>
    public async ValueTask<ReadOnlyMemory<byte>?> ReadLineAsync(CancellationToken cancellationToken = default)
    {
        var scanned = 0;
        while (true)
        {
            var newline = _buffer.AsSpan(_start + scanned, _end - _start - scanned).IndexOf((byte)'\n');
            if (newline >= 0)
            {
                var line = _buffer.AsMemory(_start, scanned + newline);
                _start += scanned + newline + 1;
                return line;
            }

            scanned = _end - _start;
            if (scanned == _buffer.Length)
            {
                throw new InvalidDataException($"a line longer than {_buffer.Length} bytes, starting \"{Printable.Of(_buffer.AsSpan(0, 40))}\"");
            }

            if (!await FillAsync(cancellationToken))
            {
                return null;
            }
        }
    }

    /// <exception cref="EndOfStreamException">The stream ended first.</exception>
    public async ValueTask<int> ReadInt32Async(CancellationToken cancellationToken = default)
    {
        while (Buffered < 4)
        {
            if (!await FillAsync(cancellationToken))
            {
                throw new EndOfStreamException();
            }
        }

        var value = BinaryPrimitives.ReadInt32BigEndian(_buffer.AsSpan(_start));
        _start += 4;
        return value;
    }

    /// <summary>Reads exactly <paramref name="count"/> bytes; the caller has checked it against a limit.</summary>
    /// <exception cref="EndOfStreamException">The stream ended first.</exception>
    public async ValueTask<byte[]> ReadBytesAsync(int count, CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(count);

        // A large claimed size is allocated in steps as the bytes arrive, so a peer that announces
        // megabytes and sends nothing costs nothing.
        var result = new byte[Math.Min(count, EagerAllocationBytes)];
        var filled = 0;
        while (filled < count)
        {
            if (filled == result.Length)
            {
                Array.Resize(ref result, (int)Math.Min(count, result.Length * 2L));
            }

            if (Buffered == 0 && !await FillAsync(cancellationToken))
            {
                throw new EndOfStreamException();
            }

            var take = Math.Min(Buffered, result.Length - filled);
            _buffer.AsSpan(_start, take).CopyTo(result.AsSpan(filled));
            _start += take;
            filled += take;
        }

        return result;
    }

    private async ValueTask<bool> FillAsync(CancellationToken cancellationToken)
    {
        if (_start > 0)
        {
            _buffer.AsSpan(_start, _end - _start).CopyTo(_buffer);
            _end -= _start;
            _start = 0;
        }

        var read = await stream.ReadAsync(_buffer.AsMemory(_end), cancellationToken);
        _end += read;
        return read > 0;
    }
}
