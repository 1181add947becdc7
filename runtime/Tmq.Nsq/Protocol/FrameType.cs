namespace Tmq.Nsq.Protocol;

/// <summary>The type word of a frame nsqd sends.</summary>
internal enum FrameType
{
    /// <summary>An answer to a command (<c>OK</c>, IDENTIFY's JSON, <c>_heartbeat_</c>, <c>CLOSE_WAIT</c>).</summary>
    Response = 0,

    /// <summary>An error: a code such as <c>E_INVALID</c>, a space, and a description.</summary>
    Error = 1,

    /// <summary>A message for a subscribed channel.</summary>
    Message = 2,
}
