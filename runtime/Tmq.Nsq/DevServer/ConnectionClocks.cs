namespace Tmq.Nsq.DevServer;

/// <summary>
/// The timers of one connection, on the broker's time provider: the heartbeat, and the read
/// deadline (no command read for two heartbeat intervals ends the connection, as nsqd's does).
/// </summary>
/// <remarks>
/// nsqd also gives each write a deadline of one interval. Here a client that stops reading stalls
/// the write loop, the read loop stops reading once 1 MiB waits (<see cref="FrameOutput"/>), and
/// the read deadline ends the connection. A write deadline on the injected clock would race with
/// real socket writes whenever a test advances a fake clock, so there is none.
/// </remarks>
internal sealed class ConnectionClocks : IDisposable
{
    private static readonly TimeSpan Never = Timeout.InfiniteTimeSpan;

    private readonly ITimer _heartbeat;
    private readonly ITimer _readDeadline;
    private TimeSpan _interval;

    /// <param name="time">The clock.</param>
    /// <param name="interval">The heartbeat interval until IDENTIFY changes it; heartbeats start with <see cref="SetHeartbeat"/>.</param>
    /// <param name="heartbeat">Sends a heartbeat; runs on a timer thread and must not block.</param>
    /// <param name="expired">Ends the connection; runs on a timer thread and must not block.</param>
    public ConnectionClocks(TimeProvider time, TimeSpan interval, Action heartbeat, Action expired)
    {
        _interval = interval;
        _heartbeat = time.CreateTimer(_ => heartbeat(), null, Never, Never);
        _readDeadline = time.CreateTimer(_ => expired(), null, Never, Never);
    }

    /// <summary>(Re)starts heartbeats at <paramref name="interval"/> from now; zero disables heartbeats and the read deadline.</summary>
    public void SetHeartbeat(TimeSpan interval)
    {
        _interval = interval;
        var period = interval > TimeSpan.Zero ? interval : Never;
        Change(_heartbeat, period, period);
    }

    /// <summary>Restarts the read deadline: before each command line is read, and before an answer leaves.</summary>
    public void ExpectCommand()
    {
        var interval = _interval;
        Change(_readDeadline, interval > TimeSpan.Zero ? interval * 2 : Never, Never);
    }

    public void Dispose()
    {
        _heartbeat.Dispose();
        _readDeadline.Dispose();
    }

    private static void Change(ITimer timer, TimeSpan due, TimeSpan period)
    {
        try
        {
            timer.Change(due, period);
        }
        catch (ObjectDisposedException)
        {
            // The connection is closing; its timers no longer matter.
        }
    }
}
