using System.Globalization;
using System.Net;
using System.Net.Sockets;

namespace Tmq.Kafka.Embedded;

/// <summary>
/// Nudges the mock cluster's thread when a control call (create topic, broker down...) does not
/// return promptly.
/// </summary>
/// <remarks>
/// librdkafka's mock thread serves its operation queue and only afterwards drains the pipe that
/// signals new operations. An operation posted in between loses its wake-up, and the thread then
/// sleeps until its next timer, up to 1 s: back-to-back calls stalled for 1 s about one time in
/// ten in our measurements, and concurrent calls far more often. A TCP connection arriving on any
/// broker's listener also wakes the thread, so while a call is pending we open and close one
/// every few milliseconds. The mock accepts it and drops it when it closes. When every broker is
/// down nothing listens, and a call may still take up to 1 s.
/// </remarks>
internal sealed class MockWakeup
{
    private static readonly TimeSpan FirstNudge = TimeSpan.FromMilliseconds(5);
    private static readonly TimeSpan NudgeEvery = TimeSpan.FromMilliseconds(20);

    private readonly IPEndPoint[] _listeners;

    public MockWakeup(string bootstrapServers)
    {
        _listeners = bootstrapServers
            .Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Select(Parse)
            .OfType<IPEndPoint>()
            .ToArray();
    }

    /// <summary>Starts nudging until the returned timer is disposed.</summary>
    public ITimer Arm() => TimeProvider.System.CreateTimer(static state => ((MockWakeup)state!).Nudge(), this, FirstNudge, NudgeEvery);

    private void Nudge()
    {
        foreach (var listener in _listeners)
        {
            try
            {
                using var socket = new Socket(listener.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
                socket.Connect(listener);
                return;
            }
            catch (SocketException)
            {
                // That broker is down (not listening); try the next one.
            }
        }
    }

    private static IPEndPoint? Parse(string hostPort)
    {
        var colon = hostPort.LastIndexOf(':');
        return colon > 0
            && IPAddress.TryParse(hostPort.AsSpan(0, colon), out var address)
            && int.TryParse(hostPort.AsSpan(colon + 1), NumberStyles.None, CultureInfo.InvariantCulture, out var port)
            ? new IPEndPoint(address, port)
            : null;
    }
}
