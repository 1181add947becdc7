using System.Buffers;
using System.Buffers.Binary;
using System.Text;
using System.Threading.Channels;
using Tmq.Nsq.Protocol;

namespace Tmq.Nsq.DevServer;

/// <summary>
/// The frames waiting for one connection, and the write loop that sends them: the only writer of
/// the socket. Enqueueing is thread-safe and never blocks, so the broker enqueues under its gate.
/// </summary>
/// <remarks>
/// The loop batches whatever is queued and flushes when the queue runs dry. A stream upgrade
/// (TLS, snappy, deflate) is queued like a frame, so it happens exactly after the frames before it
/// (IDENTIFY's response) and before the ones after it. <see cref="WaitForRoomAsync"/> gives the
/// read loop the back-pressure nsqd's synchronous writes give: a client that does not read stops
/// being read, and then its read deadline ends the connection (see <see cref="ConnectionClocks"/>).
/// </remarks>
internal sealed class FrameOutput
{
    private const int BatchBytes = 16 * 1024;
    private const long RoomBytes = 1024 * 1024;

    private readonly Channel<Item> _queue = Channel.CreateUnbounded<Item>(new UnboundedChannelOptions { SingleReader = true });
    private readonly Lock _roomLock = new();
    private TaskCompletionSource? _room;
    private long _pendingBytes;

    /// <summary>The data of the two responses sent most; handlers return these arrays, which go out pre-framed.</summary>
    public static readonly byte[] Ok = NsqWire.Ok.ToArray();

    /// <inheritdoc cref="Ok"/>
    public static readonly byte[] CloseWait = NsqWire.CloseWait.ToArray();

    private static readonly byte[] OkFrame = Frame(FrameType.Response, Ok);
    private static readonly byte[] CloseWaitFrame = Frame(FrameType.Response, CloseWait);

    public void Send(FrameType type, byte[] data)
    {
        if (ReferenceEquals(data, Ok) || ReferenceEquals(data, CloseWait))
        {
            // Queued items are never modified, so every connection can send the same frame.
            Enqueue(new Item(ReferenceEquals(data, Ok) ? OkFrame : CloseWaitFrame, null, null));
            return;
        }

        Enqueue(new Item(Frame(type, data), null, null));
    }

    public void Send(FrameType type, ReadOnlySpan<byte> data) => Enqueue(new Item(Frame(type, data), null, null));

    private static byte[] Frame(FrameType type, ReadOnlySpan<byte> data)
    {
        var frame = new byte[NsqWire.FrameHeaderBytes + data.Length];
        BinaryPrimitives.WriteInt32BigEndian(frame, data.Length + 4);
        BinaryPrimitives.WriteInt32BigEndian(frame.AsSpan(4), (int)type);
        data.CopyTo(frame.AsSpan(NsqWire.FrameHeaderBytes));
        return frame;
    }

    public void Send(FrameType type, string text) => Send(type, Encoding.UTF8.GetBytes(text));

    /// <summary>A message frame with the message's current attempts.</summary>
    public void SendMessage(DevMessage message)
    {
        var header = new byte[NsqWire.FrameHeaderBytes + NsqWire.MessageHeaderBytes];
        BinaryPrimitives.WriteInt32BigEndian(header, 4 + NsqWire.MessageHeaderBytes + message.Body.Length);
        BinaryPrimitives.WriteInt32BigEndian(header.AsSpan(4), (int)FrameType.Message);
        BinaryPrimitives.WriteInt64BigEndian(header.AsSpan(8), message.TimestampNanoseconds);
        BinaryPrimitives.WriteUInt16BigEndian(header.AsSpan(16), message.Attempts);
        message.IdBytes.CopyTo(header.AsSpan(18));
        Enqueue(new Item(header, message.Body, null));
    }

    /// <summary>Runs <paramref name="upgrade"/> on the write loop once the frames queued before it are flushed.</summary>
    public Task UpgradeAsync(Func<ValueTask> upgrade)
    {
        var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        if (!_queue.Writer.TryWrite(new Item(null, null, new Upgrade(upgrade, done))))
        {
            done.SetException(new IOException("The connection is closed."));
        }

        return done.Task;
    }

    /// <summary>No more frames: the loop sends what is queued and ends. Later frames are dropped.</summary>
    public void Complete() => _queue.Writer.TryComplete();

    /// <summary>Completes when fewer than 1 MiB wait to be written.</summary>
    public Task WaitForRoomAsync()
    {
        lock (_roomLock)
        {
            if (Interlocked.Read(ref _pendingBytes) <= RoomBytes || _queue.Reader.Completion.IsCompleted)
            {
                return Task.CompletedTask;
            }

            _room ??= new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            return _room.Task;
        }
    }

    /// <summary>The write loop. <paramref name="output"/> gives the current stream (it changes on upgrades).</summary>
    public async Task RunAsync(Func<Stream> output)
    {
        var batch = new ArrayBufferWriter<byte>(BatchBytes);
        try
        {
            while (await _queue.Reader.WaitToReadAsync())
            {
                while (_queue.Reader.TryRead(out var item))
                {
                    if (item.Upgrade is { } upgrade)
                    {
                        await WriteAsync(output(), batch);
                        await RunUpgradeAsync(upgrade);
                        continue;
                    }

                    batch.Write(item.Head);
                    batch.Write(item.Body);
                    Interlocked.Add(ref _pendingBytes, -item.Size);
                    if (batch.WrittenCount >= BatchBytes)
                    {
                        await WriteAsync(output(), batch);
                    }
                }

                await WriteAsync(output(), batch);
            }
        }
        finally
        {
            Complete();
            while (_queue.Reader.TryRead(out var left))
            {
                left.Upgrade?.Done.TrySetException(new IOException("The connection closed before the upgrade."));
            }

            SignalRoom(force: true);
        }
    }

    private static async Task RunUpgradeAsync(Upgrade upgrade)
    {
        try
        {
            await upgrade.Action();
            upgrade.Done.SetResult();
        }
        catch (Exception e)
        {
            upgrade.Done.SetException(e);
            throw;
        }
    }

    private async Task WriteAsync(Stream stream, ArrayBufferWriter<byte> batch)
    {
        if (batch.WrittenCount == 0)
        {
            return;
        }

        await stream.WriteAsync(batch.WrittenMemory);
        await stream.FlushAsync();
        batch.ResetWrittenCount();
        SignalRoom();
    }

    private void Enqueue(Item item)
    {
        if (_queue.Writer.TryWrite(item))
        {
            Interlocked.Add(ref _pendingBytes, item.Size);
        }
    }

    private void SignalRoom(bool force = false)
    {
        lock (_roomLock)
        {
            if (_room is not null && (force || Interlocked.Read(ref _pendingBytes) <= RoomBytes))
            {
                _room.SetResult();
                _room = null;
            }
        }
    }

    private sealed record Upgrade(Func<ValueTask> Action, TaskCompletionSource Done);

    private readonly record struct Item(byte[]? Head, byte[]? Body, Upgrade? Upgrade)
    {
        public long Size => (Head?.Length ?? 0) + (Body?.Length ?? 0);
    }
}
