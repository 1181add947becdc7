using Tmq;

namespace Tmq.Chaos.Worker;

/// <summary>
/// Records each handled message as one line, <c>key sequence attempt pid</c>, before it returns: a
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

        record.Append($"{message.KeyAsString()} {message.ValueAsString()} {message.Attempt} {Environment.ProcessId}");
        failing.ThrowIfChosen(message);
    }
}

/// <summary>The file of handled messages, appended a whole line per write so that a kill never leaves half a line.</summary>
internal sealed class HandledRecord(string path, TimeSpan delay) : IDisposable
{
    /// <summary>How long each handling takes before it is recorded (CHAOS_DELAY_MS).</summary>
    public TimeSpan Delay { get; } = delay;

    private readonly FileStream _file = new(path, FileMode.Append, FileAccess.Write, FileShare.ReadWrite);
    private readonly Lock _gate = new();

    public void Append(string line)
    {
        var bytes = System.Text.Encoding.UTF8.GetBytes(line + "\n");
        lock (_gate)
        {
            // One write, flushed to the operating system: it survives a SIGKILL of this process.
            _file.Write(bytes);
            _file.Flush();
        }
    }

    public void Dispose() => _file.Dispose();
}
