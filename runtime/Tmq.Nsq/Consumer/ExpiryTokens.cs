namespace Tmq.Nsq.Consumer;

/// <summary>
/// The handler tokens of one connection's messages: each fires when its message can no longer be
/// kept in flight (max_msg_timeout after delivery, less a margin), or when the connection's own
/// token does. Messages delivered within the same second share one token, so a connection holds
/// at most one source per second of max_msg_timeout however many messages it receives.
/// Not thread-safe: its session calls it under the session's own lock, which the message's
/// in-flight entry takes anyway, so a delivery takes one lock for both.
/// </summary>
internal sealed class ExpiryTokens : IDisposable
{
    private readonly TimeProvider _time;
    private readonly TimeSpan _lifetime;
    private readonly CancellationToken _connection;
    private readonly Queue<(long Second, CancellationTokenSource Source, CancellationTokenRegistration Link)> _buckets = new();
    private (long Second, CancellationTokenSource Source, CancellationTokenRegistration Link)? _newest;
    private bool _disposed;

    public ExpiryTokens(TimeProvider time, TimeSpan lifetime, CancellationToken connection)
    {
        _time = time;
        _lifetime = lifetime > TimeSpan.Zero ? lifetime : TimeSpan.FromSeconds(1);
        _connection = connection;
    }

    /// <summary>The token for a message delivered at <paramref name="delivered"/> (a TimeProvider timestamp).</summary>
    public CancellationToken TokenFor(long delivered)
    {
        if (_disposed)
        {
            return _connection;
        }

        // Expired sources stay valid for the handlers that hold their tokens; only the list lets go of them.
        var second = delivered / _time.TimestampFrequency;
        while (_buckets.TryPeek(out var oldest) && oldest.Source.IsCancellationRequested && oldest.Second < second)
        {
            _buckets.Dequeue().Link.Dispose();
        }

        if (_newest is { } newest && newest.Second == second)
        {
            return newest.Source.Token;
        }

        var source = new CancellationTokenSource(_lifetime, _time);
        var link = _connection.UnsafeRegister(static s => ((CancellationTokenSource)s!).Cancel(), source);
        _newest = (second, source, link);
        _buckets.Enqueue(_newest.Value);
        return source.Token;
    }

    public void Dispose()
    {
        _disposed = true;
        while (_buckets.TryDequeue(out var bucket))
        {
            bucket.Link.Dispose();
            bucket.Source.Dispose();
        }
    }
}
