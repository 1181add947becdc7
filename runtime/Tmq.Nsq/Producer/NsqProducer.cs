using System.Diagnostics;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Tmq.Nsq.Connection;
using Tmq.Nsq.Envelope;
using Tmq.Nsq.Producer;
using Tmq.Nsq.Protocol;
using Tmq.Telemetry;

namespace Tmq.Nsq;

/// <summary>
/// Publishes to nsqd over TCP (PUB, MPUB, DPUB on persistent connections) or HTTP, failing over
/// between the configured nsqd. A send completes only on nsqd's OK; when no nsqd accepts a message
/// it throws <see cref="TmqProduceException"/>: nothing is dropped silently.
/// </summary>
/// <remarks>
/// Thread-safe; one instance serves the process (register it with <c>AddTmqNsqProducer</c>).
/// Sends are sticky: they go to the nsqd that last answered until it fails, then to the next.
/// A send that timed out may still have been written (<see cref="TmqProduceException.MayHaveBeenWritten"/>):
/// failing over then can duplicate the message, which NSQ's at-least-once delivery allows anyway.
/// nsqd itself keeps messages in memory up to <c>--mem-queue-size</c> and the rest on disk: run it
/// with <c>--mem-queue-size=0</c> to write every message to disk before it answers OK.
/// </remarks>
public sealed partial class NsqProducer : ITmqProducer, IAsyncDisposable
{
    private readonly NsqProducerOptions _options;
    private readonly NsqConnectionSettings _connection;
    private readonly NsqAddress[] _addresses;
    private readonly Uri[] _http;
    private readonly ILogger _logger;
    private readonly TmqMetrics? _metrics;
    private readonly HttpClient? _httpClient;
    private readonly Lock _gate = new();
    private readonly Dictionary<NsqAddress, ProducerConnection[]> _connections = [];
    private int _current;
    private int _spread;
    private int _disposed;

    internal NsqProducer(NsqProducerOptions options, string clientId, ILogger? logger, TmqMetrics? metrics, TimeProvider? time = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        _options = options;
        _logger = logger ?? NullLogger.Instance;
        _metrics = metrics;
        _connection = NsqConnectionFactory.Settings(options, clientId, null, _logger, time ?? TimeProvider.System);
        _addresses = [.. options.Nsqd.Select(static a => NsqAddress.TryParse(a, out var parsed) ? parsed : throw new ArgumentException($"\"{a}\" is not an nsqd address ({NsqAddress.Rule})."))];
        _http = [.. options.Http.Select(static a => NsqAddress.TryParseLookupd(a, out var uri) ? uri : throw new ArgumentException($"\"{a}\" is not an nsqd HTTP address (e.g. http://127.0.0.1:4151)."))];
        if (options.Mode == NsqPublishMode.Http)
        {
            _httpClient = new HttpClient { Timeout = options.HttpTimeout };
        }
    }

    /// <inheritdoc />
    /// <remarks>
    /// With <see cref="NsqProducerOptions.Envelope"/> on, the key, the headers and the current W3C
    /// trace context travel in the TMQ envelope; with it off (the default) the body is sent as it is
    /// and the key and headers are not sent at all.
    /// </remarks>
    public async Task<TmqDeliveryResult> SendAsync(string topic, ReadOnlyMemory<byte> key, ReadOnlyMemory<byte> value, TmqHeaders? headers = null, CancellationToken cancellationToken = default)
    {
        using var activity = TmqActivity.StartSend(topic, "nsq");
        var body = value;
        if (_options.Envelope)
        {
            var carried = new TmqHeaders();
            foreach (var header in headers ?? TmqHeaders.Empty)
            {
                carried.Add(header.Name, header.Value);
            }

            TmqActivity.Inject(activity ?? Activity.Current, carried);
            body = TmqEnvelope.Wrap(key.Span, carried, value.Span);
        }

        try
        {
            await PublishAsync(topic, body, TimeSpan.Zero, cancellationToken).ConfigureAwait(false);
        }
        catch (TmqProduceException ex)
        {
            activity?.SetStatus(ActivityStatusCode.Error, ex.Code);
            activity?.SetTag("error.type", ex.Code);
            throw;
        }

        return new TmqDeliveryResult(topic, 0, -1, DateTimeOffset.MinValue);
    }

    /// <summary>
    /// Publishes <paramref name="body"/> as it is (no envelope): PUB, or DPUB when <paramref name="defer"/>
    /// is positive (nsqd delivers it after that delay, at most its <c>--max-req-timeout</c>).
    /// </summary>
    /// <exception cref="TmqProduceException">No nsqd accepted it.</exception>
    public Task PublishAsync(string topic, ReadOnlyMemory<byte> body, TimeSpan defer = default, CancellationToken cancellationToken = default)
    {
        Check(topic, body);
        var delay = (long)Math.Max(0, defer.TotalMilliseconds);
        return delay > 0
            ? SendAsync(null, topic, 1, output => Command.Dpub(output, topic, delay, body.Span), () => ($"pub?topic={Uri.EscapeDataString(topic)}&defer={delay}", body), cancellationToken)
            : SendAsync(null, topic, 1, output => Command.Pub(output, topic, body.Span), () => ($"pub?topic={Uri.EscapeDataString(topic)}", body), cancellationToken);
    }

    /// <summary>Publishes several bodies as they are in one MPUB: nsqd accepts all of them or none.</summary>
    /// <exception cref="TmqProduceException">No nsqd accepted them.</exception>
    public Task PublishAsync(string topic, IReadOnlyList<ReadOnlyMemory<byte>> bodies, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(bodies);
        if (bodies.Count == 0)
        {
            return Task.CompletedTask;
        }

        CheckTopic(topic);
        for (var i = 0; i < bodies.Count; i++)
        {
            CheckBody(topic, bodies[i]);
        }

        return SendAsync(null, topic, bodies.Count, output => Command.Mpub(output, topic, bodies), () => ($"mpub?topic={Uri.EscapeDataString(topic)}&binary=true", MpubHttpBody(bodies)), cancellationToken);
    }

    /// <summary>Publishes to <paramref name="preferred"/> first (a dead letter goes back to the nsqd its message came from), then the configured nsqd.</summary>
    internal Task PublishToAsync(NsqAddress? preferred, string topic, ReadOnlyMemory<byte> body, CancellationToken cancellationToken)
    {
        Check(topic, body);
        return SendAsync(preferred, topic, 1, output => Command.Pub(output, topic, body.Span), () => ($"pub?topic={Uri.EscapeDataString(topic)}", body), cancellationToken);
    }

    private void Check(string topic, ReadOnlyMemory<byte> body)
    {
        CheckTopic(topic);
        CheckBody(topic, body);
    }

    private void CheckTopic(string topic)
    {
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
        if (!NsqNames.IsValid(topic))
        {
            throw new TmqProduceException($"\"{topic}\" is not an NSQ topic name ({NsqNames.Rule}).", topic ?? string.Empty, "E_BAD_TOPIC", isTransient: false, mayHaveBeenWritten: false, null);
        }
    }

    private void CheckBody(string topic, ReadOnlyMemory<byte> body)
    {
        if (body.IsEmpty || body.Length > _options.MaxMessageBytes)
        {
            throw new TmqProduceException(
                body.IsEmpty
                    ? $"An NSQ message cannot be empty (nsqd refuses it); nothing was sent to {topic}."
                    : $"The message to {topic} is {body.Length} bytes, over Tmq:Producer:MaxMessageBytes ({_options.MaxMessageBytes}, nsqd's --max-msg-size); nothing was sent.",
                topic,
                "E_BAD_MESSAGE",
                isTransient: false,
                mayHaveBeenWritten: false,
                null);
        }
    }

    private static byte[] MpubHttpBody(IReadOnlyList<ReadOnlyMemory<byte>> bodies)
    {
        var size = 4 + bodies.Sum(static b => 4 + b.Length);
        var buffer = new byte[size];
        System.Buffers.Binary.BinaryPrimitives.WriteInt32BigEndian(buffer, bodies.Count);
        var at = 4;
        foreach (var body in bodies)
        {
            System.Buffers.Binary.BinaryPrimitives.WriteInt32BigEndian(buffer.AsSpan(at), body.Length);
            body.Span.CopyTo(buffer.AsSpan(at + 4));
            at += 4 + body.Length;
        }

        return buffer;
    }

    /// <summary>Closes the connections after what was sent has been written.</summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        ProducerConnection[] connections;
        lock (_gate)
        {
            connections = [.. _connections.Values.SelectMany(static c => c)];
            _connections.Clear();
        }

        await Task.WhenAll(connections.Select(static c => c.DisposeAsync().AsTask())).ConfigureAwait(false);
        _httpClient?.Dispose();
    }
}
