using System.Runtime.InteropServices;
using Tmq;

namespace Tmq.Chaos.Worker;

/// <summary>
/// Records each handled message as one line, <c>key sequence attempt pid</c> (then its partition,
/// offset and the time, for reading a storm's record by hand), before it returns: a
/// process killed after the line and before its FIN or commit hands the message over again, which
/// the verifier counts as a duplicate; one killed before the line loses nothing that was recorded.
/// The value is the message's sequence number within its key.
/// </summary>
internal sealed class RecordingHandler(HandledRecord record, FailingMessages failing) : IMessageHandler
{
    public async Task HandleAsync(TmqMessage message, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(message);

        // Work that takes a moment, so that a kill finds handlers running and messages buffered.
        if (record.Delay > TimeSpan.Zero)
        {
            await Task.Delay(record.Delay, cancellationToken);
        }

        record.Append(string.Create(
            System.Globalization.CultureInfo.InvariantCulture,
            $"{message.KeyAsString()} {message.ValueAsString()} {message.Attempt} {Environment.ProcessId} {message.Partition} {message.Offset} {DateTime.UtcNow:HH:mm:ss.fff}"));
        failing.ThrowIfChosen(message);
    }
}

/// <summary>
/// The file of handled messages, which several worker processes append to at once (the rebalance
/// storm runs four). Each line is one write(2) on a descriptor opened with O_APPEND, so the kernel
/// puts it at the end of the file whoever else writes, and a kill never leaves half a line.
/// </summary>
/// <remarks>
/// Not a <see cref="FileStream"/> in <see cref="FileMode.Append"/>: on Linux it writes at a position of
/// its own (pwrite), so processes appending together overwrite each other's lines.
/// </remarks>
internal sealed partial class HandledRecord : IDisposable
{
    private const int WriteOnly = 0x1;
    private const int Create = 0x40;
    private const int AppendOnly = 0x400;
    private const int ReadWriteForOwner = 0x180;

    private readonly int _descriptor;
    private readonly Lock _gate = new();

    public HandledRecord(string path, TimeSpan delay)
    {
        Delay = delay;
        _descriptor = Open(path, WriteOnly | Create | AppendOnly, ReadWriteForOwner);
        if (_descriptor < 0)
        {
            throw new IOException($"Could not open the record {path} for appending (errno {Marshal.GetLastPInvokeError()}).");
        }
    }

    /// <summary>How long each handling takes before it is recorded (CHAOS_DELAY_MS).</summary>
    public TimeSpan Delay { get; }

    public void Append(string line)
    {
        var bytes = System.Text.Encoding.UTF8.GetBytes(line + "\n");
        lock (_gate)
        {
            // A regular file takes the whole line in one write (or fails): it survives a SIGKILL of this process.
            if (Write(_descriptor, bytes, bytes.Length) != bytes.Length)
            {
                throw new IOException($"Could not append to the record (errno {Marshal.GetLastPInvokeError()}).");
            }
        }
    }

    public void Dispose() => _ = Close(_descriptor);

    [LibraryImport("libc", EntryPoint = "open", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int Open(string path, int flags, int mode);

    [LibraryImport("libc", EntryPoint = "write", SetLastError = true)]
    private static partial nint Write(int descriptor, byte[] buffer, nint count);

    [LibraryImport("libc", EntryPoint = "close")]
    private static partial int Close(int descriptor);
}
