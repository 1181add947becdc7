using System.Threading.Channels;
using Tmq.Nsq;
using Tmq.Nsq.Connection;
using Tmq.Nsq.Protocol;

namespace Tmqtool.Nsq;

/// <summary>
/// One channel of a topic, subscribed on every nsqd given, for the tool's verbs: messages are
/// handed over one at a time through <see cref="ReadAsync"/>, and the verb FINs or REQs each.
/// </summary>
/// <remarks>
/// Closing (<see cref="DisposeAsync"/>) sends CLS, puts back (REQ, no delay) every message the
/// verb still holds, and waits for nsqd's CLOSE_WAIT so that nothing is left in flight to time out.
/// </remarks>
internal sealed class NsqReader : INsqConnectionHandler, IAsyncDisposable
{
    private readonly Channel<Delivery> _messages = Channel.CreateUnbounded<Delivery>(new UnboundedChannelOptions { SingleReader = true });
    private readonly Dictionary<NsqConnection, Subscription> _subscriptions = [];
    private readonly Lock _gate = new();
    private readonly HashSet<(NsqConnection, string)> _held = [];
    private readonly TimeSpan _timeout;
    private int _disposing;

    private NsqReader(TimeSpan timeout) => _timeout = timeout;

    /// <summary>A message and the connection it came on (FIN and REQ must go back on it).</summary>
    internal readonly record struct Delivery(NsqConnection Connection, NsqMessageFrame Message);

    /// <summary>Why the last connection closed, when one closed on its own.</summary>
    internal Exception? LastError { get; private set; }

    /// <summary>The nsqd whose connection closed before the reader did (it may still hold messages for this channel), and why; null while none has.</summary>
    internal string? Lost { get; private set; }

    /// <summary>Connects to every nsqd, subscribes and sets RDY to <paramref name="ready"/> on each.</summary>
    /// <exception cref="NsqVerbException">An nsqd could not be reached or refused SUB.</exception>
    internal static async Task<NsqReader> OpenAsync(IEnumerable<NsqAddress> nsqd, string topic, string channel, int ready, TimeSpan timeout, CancellationToken cancellationToken)
    {
        var reader = new NsqReader(timeout);
        try
        {
            foreach (var address in nsqd)
            {
                await reader.SubscribeAsync(address, topic, channel, cancellationToken).ConfigureAwait(false);
            }

            reader.SetReady(ready);
            return reader;
        }
        catch
        {
            await reader.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>Connects, SUBs and waits for nsqd's OK; no RDY yet, so nothing is delivered.</summary>
    internal static async Task EnsureChannelAsync(NsqAddress nsqd, string topic, string channel, TimeSpan timeout, CancellationToken cancellationToken)
    {
        await using var reader = new NsqReader(timeout);
        await reader.SubscribeAsync(nsqd, topic, channel, cancellationToken).ConfigureAwait(false);
    }

    private async Task SubscribeAsync(NsqAddress address, string topic, string channel, CancellationToken cancellationToken)
    {
        var settings = new NsqConnectionSettings { ClientId = "tmqtool", ConnectTimeout = _timeout };
        NsqConnection connection;
        try
        {
            connection = await NsqConnection.ConnectAsync(address.Host, address.Port, settings, this, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (e is IOException or System.Net.Sockets.SocketException or TimeoutException or NsqException)
        {
            throw new NsqVerbException($"nsqd at {address} could not be reached: {e.Message}");
        }

        var subscription = new Subscription();
        lock (_gate)
        {
            _subscriptions[connection] = subscription;
        }

        connection.Subscribe(topic, channel);
        try
        {
            await subscription.Answered.Task.WaitAsync(_timeout, cancellationToken).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
            throw new NsqVerbException($"nsqd at {address} did not answer SUB {topic} {channel} within {_timeout.TotalSeconds:0} s.");
        }
        catch (IOException e)
        {
            throw new NsqVerbException($"nsqd at {address} refused SUB {topic} {channel}: {e.Message}");
        }
    }

    /// <summary>Sets RDY on every connection (0 stops deliveries).</summary>
    internal void SetReady(int ready)
    {
        lock (_gate)
        {
            foreach (var connection in _subscriptions.Keys)
            {
                connection.Ready(ready);
            }
        }
    }

    /// <summary>The next message; null when every connection has closed. The message is held until <see cref="Finish"/> or <see cref="Requeue"/>.</summary>
    internal async Task<Delivery?> ReadAsync(CancellationToken cancellationToken)
    {
        try
        {
            return await _messages.Reader.ReadAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (ChannelClosedException)
        {
            return null;
        }
    }

    /// <summary>FINs it; false when its connection has closed, so nsqd will deliver it again after msg_timeout.</summary>
    internal bool Finish(Delivery delivery)
    {
        Release(delivery);
        return delivery.Connection.Finish(delivery.Message.Id);
    }

    internal void Requeue(Delivery delivery, TimeSpan delay = default)
    {
        Release(delivery);
        delivery.Connection.Requeue(delivery.Message.Id, (long)delay.TotalMilliseconds);
    }

    private void Release(Delivery delivery)
    {
        lock (_gate)
        {
            _held.Remove((delivery.Connection, delivery.Message.IdString));
        }
    }

    void INsqConnectionHandler.OnMessage(NsqConnection connection, NsqMessageFrame message)
    {
        lock (_gate)
        {
            if (Volatile.Read(ref _disposing) != 0)
            {
                // Sent before nsqd read our RDY 0: straight back.
                connection.Requeue(message.Id, 0);
                return;
            }

            _held.Add((connection, message.IdString));
        }

        _messages.Writer.TryWrite(new Delivery(connection, message));
    }

    void INsqConnectionHandler.OnResponse(NsqConnection connection, Frame frame)
    {
        Subscription? subscription;
        lock (_gate)
        {
            _subscriptions.TryGetValue(connection, out subscription);
        }

        if (subscription is null)
        {
            return;
        }

        if (frame.IsCloseWait)
        {
            subscription.CloseWait.TrySetResult();
        }
        else if (frame.Type == FrameType.Error)
        {
            // Before SUB's answer an error frame is SUB's refusal (a fatal one also closes the connection).
            subscription.Answered.TrySetException(new IOException(NsqErrorFrame.Parse(frame.Data).ToString()));
        }
        else
        {
            subscription.Answered.TrySetResult();
        }
    }

    void INsqConnectionHandler.OnClosed(NsqConnection connection, Exception? error)
    {
        Subscription? subscription;
        bool allClosed;
        lock (_gate)
        {
            _subscriptions.TryGetValue(connection, out subscription);
            allClosed = _subscriptions.Keys.All(static c => c.IsClosed);
        }

        subscription?.Answered.TrySetException(error ?? new IOException("the connection closed"));
        subscription?.CloseWait.TrySetResult();
        if (Volatile.Read(ref _disposing) == 0)
        {
            LastError = error ?? LastError;
            Lost ??= $"nsqd {connection.Address} ({error?.Message ?? "it closed the connection"})";
        }

        if (allClosed)
        {
            _messages.Writer.TryComplete();
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposing, 1) != 0)
        {
            return;
        }

        List<(NsqConnection Connection, Subscription Subscription)> open;
        lock (_gate)
        {
            // RDY 0 before the REQs: nsqd would otherwise send the requeued messages straight back to us.
            open = [.. _subscriptions.Where(static s => !s.Key.IsClosed).Select(static s => (s.Key, s.Value))];
            foreach (var (connection, _) in open)
            {
                connection.Ready(0);
            }

            foreach (var (connection, id) in _held)
            {
                connection.Requeue(System.Text.Encoding.ASCII.GetBytes(id), 0);
            }

            _held.Clear();
            foreach (var (connection, _) in open)
            {
                connection.StartClose();
            }
        }

        // Together, so that a stop waits at most one timeout whatever the number of nsqd.
        await Task.WhenAll(open.Select(o => CloseAsync(o.Connection, o.Subscription))).ConfigureAwait(false);

        List<NsqConnection> all;
        lock (_gate)
        {
            all = [.. _subscriptions.Keys];
        }

        foreach (var connection in all)
        {
            await connection.DisposeAsync().ConfigureAwait(false);
        }

        _messages.Writer.TryComplete();
    }

    private async Task CloseAsync(NsqConnection connection, Subscription subscription)
    {
        try
        {
            await subscription.CloseWait.Task.WaitAsync(_timeout).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
            // nsqd did not answer CLS: close anyway; what it still holds times out there.
        }

        await connection.CloseAfterFlushAsync(_timeout).ConfigureAwait(false);
    }

    private sealed class Subscription
    {
        public TaskCompletionSource Answered { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public TaskCompletionSource CloseWait { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }
}
