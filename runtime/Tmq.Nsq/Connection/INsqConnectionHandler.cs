using Tmq.Nsq.Protocol;

namespace Tmq.Nsq.Connection;

/// <summary>
/// What a connection tells its owner (a consumer or a producer); the connection never knows which.
/// </summary>
/// <remarks>
/// Every call comes from the connection's read loop, one at a time and in the order nsqd sent the
/// frames: a handler must be quick and must not wait for the connection (send commands, never await
/// their answers here). An exception thrown by a handler closes the connection.
/// </remarks>
internal interface INsqConnectionHandler
{
    /// <summary>A message frame arrived.</summary>
    void OnMessage(NsqConnection connection, NsqMessageFrame message);

    /// <summary>A response other than a heartbeat or CLOSE_WAIT (the heartbeat is answered by the connection), or a non-fatal error, in nsqd's order.</summary>
    void OnResponse(NsqConnection connection, Frame frame);

    /// <summary>The connection is closed: by <see cref="NsqConnection.DisposeAsync"/>, by nsqd, or after an error (<paramref name="error"/>, null on a clean close). Called once.</summary>
    void OnClosed(NsqConnection connection, Exception? error);
}
