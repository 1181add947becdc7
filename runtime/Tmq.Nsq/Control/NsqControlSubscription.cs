using Tmq.Nsq.Connection;
using Tmq.Nsq.Protocol;

namespace Tmq.Nsq.Control;

/// <summary>
/// The control reader on one nsqd, across reconnects: connect, SUB on the instance's ephemeral
/// channel (which creates the topic and the channel there), RDY, and every message to the reader;
/// when the connection drops, reconnect with backoff as the consumer does.
/// </summary>
/// <remarks>
/// nsqd deletes an ephemeral channel when its last connection goes, so a reconnect subscribes to a
/// new, empty one: what was published in between is not received. There is nothing to hand back
/// either: every message is finished.
/// </remarks>
internal sealed class NsqControlSubscription(NsqAddress address, bool configured, NsqControlSetup setup)
{
    /// <summary>
    /// How many messages nsqd may have in flight on the connection. Control messages are few and
    /// finished as soon as applied; a few in flight keep a burst (a fleet-wide pause, then resume)
    /// from waiting on round trips.
    /// </summary>
    internal const int Ready = 16;

    private readonly TaskCompletionSource _firstAttempt = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private volatile TaskCompletionSource _unlisted = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private volatile bool _listed = true;
    private volatile Session? _session;
    private int _failures;

    public NsqAddress Address { get; } = address;

    /// <summary>Named in Tmq:Control:Nsq:Nsqd (or borrowed from a consumer's Nsqd): read whatever lookupd says.</summary>
    public bool Configured { get; } = configured;

    /// <summary>Completes when the first connection has subscribed or failed.</summary>
    public Task FirstAttempt => _firstAttempt.Task;

    /// <summary>Whether SUB succeeded on the current connection.</summary>
    public bool IsSubscribed => _session is { IsSubscribed: true };

    /// <summary>The connection, while one is open.</summary>
    public NsqConnection? Connection => _session?.Connection;

    /// <summary>The connect, read, reconnect loop.</summary>
    public Task Loop { get; set; } = Task.CompletedTask;

    /// <summary>Still listed by a lookupd (or configured). Once false, the nsqd is not reconnected when its connection ends. Discovery is the only writer.</summary>
    public bool Listed
    {
        get => _listed;
        set
        {
            _listed = value;
            if (!value)
            {
                _unlisted.TrySetResult();
            }
            else if (_unlisted.Task.IsCompleted)
            {
                _unlisted = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            }
        }
    }

    public async Task RunAsync(CancellationToken token)
    {
        while (!token.IsCancellationRequested)
        {
            var failure = await RunSessionAsync(token).ConfigureAwait(false);
            _firstAttempt.TrySetResult();
            if (token.IsCancellationRequested)
            {
                return;
            }

            NsqControlLog.ConnectionLost(setup.Logger, Address.ToString(), failure?.Message ?? "nsqd closed it.", _failures);
            setup.Repoll();
            await Task.WhenAny(Task.Delay(ReconnectDelay(_failures++), setup.TimeProvider, token), _unlisted.Task).ConfigureAwait(false);
            if (token.IsCancellationRequested)
            {
                return;
            }

            if (!Listed)
            {
                NsqControlLog.NsqdLeft(setup.Logger, Address.ToString());
                setup.Left(this);
                return;
            }
        }
    }

    /// <summary>One connection from connect to close. Returns why it ended (null: closed by nsqd without an error, or on purpose).</summary>
    private async Task<Exception?> RunSessionAsync(CancellationToken token)
    {
        var session = new Session(setup);
        try
        {
            var connection = await NsqConnection.ConnectAsync(Address.Host, Address.Port, setup.Connection, session, token).ConfigureAwait(false);
            session.Connection = connection;
            _session = session;
            connection.Subscribe(setup.Topic, setup.Channel);
            var answer = await session.Subscribed.WaitAsync(setup.Connection.ConnectTimeout, setup.TimeProvider, token).ConfigureAwait(false);
            if (!answer.IsOk)
            {
                throw new NsqException(answer.Type == FrameType.Error ? NsqErrorFrame.Parse(answer.Data).Code : "E_UNEXPECTED", $"nsqd at {Address} answered SUB {setup.Topic} {setup.Channel} with \"{answer.Text}\".");
            }

            session.IsSubscribed = true;
            connection.Ready(Ready);
            _failures = 0;
            _firstAttempt.TrySetResult();
            NsqControlLog.Subscribed(setup.Logger, setup.Topic, Address.ToString());
            return await session.Closed.WaitAsync(token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (token.IsCancellationRequested)
        {
            return null;
        }
        catch (Exception ex)
        {
            return ex;
        }
        finally
        {
            _session = null;
            if (session.Connection is { } connection)
            {
                // On shutdown the last FINs are still queued: send them before closing.
                await (token.IsCancellationRequested ? connection.CloseAfterFlushAsync(NsqDefaults.CloseFlushTimeout) : connection.DisposeAsync().AsTask()).ConfigureAwait(false);
            }
        }
    }

    /// <summary>Exponential from ReconnectDelay to MaxReconnectDelay, with ±20% jitter so that a fleet does not reconnect in step.</summary>
    private TimeSpan ReconnectDelay(int failures)
    {
        var delay = setup.Settings.ReconnectDelay.TotalMilliseconds * Math.Pow(2, Math.Min(failures, 20));
        delay = Math.Min(delay, setup.Settings.MaxReconnectDelay.TotalMilliseconds);
        return TimeSpan.FromMilliseconds(delay * (0.8 + (0.4 * setup.Random())));
    }

    /// <summary>One connection's handler: nsqd's answer to SUB, its messages, its end.</summary>
    private sealed class Session(NsqControlSetup setup) : INsqConnectionHandler
    {
        private readonly TaskCompletionSource<Frame> _subscribed = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private readonly TaskCompletionSource<Exception?> _closed = new(TaskCreationOptions.RunContinuationsAsynchronously);

        private volatile bool _isSubscribed;

        public NsqConnection? Connection { get; set; }

        public bool IsSubscribed
        {
            get => _isSubscribed;
            set => _isSubscribed = value;
        }

        public Task<Frame> Subscribed => _subscribed.Task;

        public Task<Exception?> Closed => _closed.Task;

        public void OnMessage(NsqConnection connection, NsqMessageFrame message)
        {
            if (!_subscribed.Task.IsCompleted)
            {
                throw new NsqProtocolException($"nsqd at {connection.Address} sent a message before it answered SUB.");
            }

            setup.Deliver(connection, message);
        }

        public void OnResponse(NsqConnection connection, Frame frame) => _subscribed.TrySetResult(frame);

        public void OnClosed(NsqConnection connection, Exception? error)
        {
            _subscribed.TrySetException(error ?? new IOException($"nsqd at {connection.Address} closed the connection before it answered SUB."));
            _closed.TrySetResult(error);
        }
    }
}
