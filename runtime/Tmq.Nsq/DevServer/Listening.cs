using System.Net.Sockets;

namespace Tmq.Nsq.DevServer;

/// <summary>The accept step both dev servers (TCP protocol and HTTP) share.</summary>
internal static class Listening
{
    /// <summary>The next connection, or null once the listener has stopped.</summary>
    public static async Task<Socket?> AcceptAsync(TcpListener listener)
    {
        while (true)
        {
            try
            {
                return await listener.AcceptSocketAsync().ConfigureAwait(false);
            }
            catch (ObjectDisposedException)
            {
                return null;
            }
            catch (InvalidOperationException)
            {
                // Stopped between two accepts: "Not listening".
                return null;
            }
            catch (SocketException) when (!listener.Server.IsBound)
            {
                return null;
            }
            catch (SocketException)
            {
                // A client that gave up while queued; the listener is fine.
            }
        }
    }
}
