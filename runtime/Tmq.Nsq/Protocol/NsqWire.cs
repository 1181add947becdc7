namespace Tmq.Nsq.Protocol;

/// <summary>Constants of NSQ's TCP protocol V2.</summary>
internal static class NsqWire
{
    /// <summary>What a client sends first on a connection: two spaces, "V2".</summary>
    public static ReadOnlySpan<byte> MagicV2 => "  V2"u8;

    /// <summary>Frame size (4 bytes) and frame type (4 bytes).</summary>
    public const int FrameHeaderBytes = 8;

    /// <summary>A message frame's data before its body: timestamp (8), attempts (2), id (16).</summary>
    public const int MessageHeaderBytes = 26;

    /// <summary>Length of a message id: 16 ASCII characters.</summary>
    public const int MessageIdBytes = 16;

    /// <summary>The response frame nsqd sends as a heartbeat; the client answers NOP.</summary>
    public static ReadOnlySpan<byte> Heartbeat => "_heartbeat_"u8;

    /// <summary>The response of most commands.</summary>
    public static ReadOnlySpan<byte> Ok => "OK"u8;

    /// <summary>nsqd's answer to CLS: it sends no more messages and waits for FIN/REQ of the in-flight ones.</summary>
    public static ReadOnlySpan<byte> CloseWait => "CLOSE_WAIT"u8;

    /// <summary>nsqd's default <c>--max-msg-size</c>: 1 MiB.</summary>
    public const int DefaultMaxMessageBytes = 1024 * 1024;

    /// <summary>Responses that are not messages (IDENTIFY's JSON, errors) are small; this bounds them whatever the message limit.</summary>
    public const int MinFrameLimit = 64 * 1024;

    /// <summary>The largest frame accepted when messages may be <paramref name="maxMessageBytes"/> long.</summary>
    public static int FrameLimit(int maxMessageBytes) =>
        Math.Max(MinFrameLimit, maxMessageBytes + MessageHeaderBytes + 4);
}
