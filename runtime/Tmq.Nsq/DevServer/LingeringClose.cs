using System.Net.Sockets;

namespace Tmq.Nsq.DevServer;

/// <summary>
/// Closes a socket so that the peer reads the last frame (an error) instead of a reset: shut the
/// sending side, then read and drop what the peer still sends, up to 1 MiB or 2 seconds, until it
/// closes too. Closing with unread bytes in the receive buffer would send a reset, and a reset
/// makes the peer's system drop the data it has not read yet.
/// </summary>
internal static class LingeringClose
{
    private const int MaxBytes = 1024 * 1024;
    private static readonly TimeSpan MaxTime = TimeSpan.FromSeconds(2);

    /// <summary>Never throws; the caller disposes the socket afterwards.</summary>
    public static async Task ShutAsync(Socket socket, TimeProvider time)
    {
        try
        {
            socket.Shutdown(SocketShutdown.Send);
            using var timeout = new CancellationTokenSource(MaxTime, time);
            var buffer = new byte[4096];
            for (var total = 0; total < MaxBytes;)
            {
                var read = await socket.ReceiveAsync(buffer, SocketFlags.None, timeout.Token);
                if (read == 0)
                {
                    break;
                }

                total += read;
            }
        }
        catch (Exception e) when (e is SocketException or ObjectDisposedException or OperationCanceledException)
        {
            // The peer is gone or slow to close; either way the socket closes now.
        }
    }
}
