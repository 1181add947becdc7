namespace Tmq.Nsq.Tests.Fakes;

/// <summary>Reads what an NSQ client sends: newline-ended command lines and sized bodies, from one buffer.</summary>
internal sealed class CommandStream
{
    private const int MaxLineBytes = 64 * 1024;

    private readonly Stream _stream;
    private readonly byte[] _buffer = new byte[MaxLineBytes];
    private int _start;
    private int _end;

    public CommandStream(Stream stream)
    {
        _stream = stream;
    }

    /// <summary>The next line without its <c>\n</c>, or null when the client closed first.</summary>
    /// <exception cref="InvalidOperationException">64 KiB arrived without a newline.</exception>
    public async Task<string?> ReadLineAsync()
    {
        while (true)
        {
            var newline = _buffer.AsSpan(_start, _end - _start).IndexOf((byte)'\n');
            if (newline >= 0)
            {
                var line = System.Text.Encoding.UTF8.GetString(_buffer, _start, newline);
                _start += newline + 1;
                return line;
            }

            if (_start == 0 && _end == _buffer.Length)
            {
                throw new InvalidOperationException($"The client sent {_buffer.Length} bytes without a newline; no NSQ command line is that long.");
            }

            if (!await FillAsync())
            {
                return null;
            }
        }
    }

    /// <summary>Exactly <paramref name="count"/> bytes, or null when the client closed first.</summary>
    public async Task<byte[]?> ReadBytesAsync(int count)
    {
        var result = new byte[count];
        var buffered = Math.Min(count, _end - _start);
        _buffer.AsSpan(_start, buffered).CopyTo(result);
        _start += buffered;
        try
        {
            await _stream.ReadExactlyAsync(result.AsMemory(buffered));
        }
        catch (EndOfStreamException)
        {
            return null;
        }

        return result;
    }

    private async Task<bool> FillAsync()
    {
        if (_start > 0)
        {
            _buffer.AsSpan(_start, _end - _start).CopyTo(_buffer);
            _end -= _start;
            _start = 0;
        }

        var read = await _stream.ReadAsync(_buffer.AsMemory(_end));
        _end += read;
        return read > 0;
    }
}
