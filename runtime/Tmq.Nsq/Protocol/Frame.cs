using System.Text;

namespace Tmq.Nsq.Protocol;

/// <summary>One frame read from nsqd: its type and its data (without the size and type words).</summary>
internal readonly record struct Frame(FrameType Type, byte[] Data)
{
    public bool IsHeartbeat => Type == FrameType.Response && Data.AsSpan().SequenceEqual(NsqWire.Heartbeat);

    public bool IsOk => Type == FrameType.Response && Data.AsSpan().SequenceEqual(NsqWire.Ok);

    public bool IsCloseWait => Type == FrameType.Response && Data.AsSpan().SequenceEqual(NsqWire.CloseWait);

    /// <summary>The data as text, for logs and errors (cut to 200 characters).</summary>
    public string Text => Data.Length <= 200 ? Encoding.UTF8.GetString(Data) : Encoding.UTF8.GetString(Data, 0, 200) + "...";
}
