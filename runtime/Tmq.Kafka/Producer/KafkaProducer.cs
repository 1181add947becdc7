using System.ComponentModel.DataAnnotations;
using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;
using System.Text;
using Confluent.Kafka;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Tmq.Telemetry;

namespace Tmq.Kafka;

/// <summary>
/// <see cref="ITmqProducer"/> on a Confluent.Kafka producer: one client per instance, shared by
/// every caller.
/// </summary>
/// <remarks>
/// Threads: <see cref="SendAsync"/> may be called from any thread. librdkafka's log and error
/// callbacks run on Confluent.Kafka's polling thread and only log. A send's task completes on
/// the thread pool (Confluent.Kafka runs continuations asynchronously), never on that thread.
/// </remarks>
internal sealed class KafkaProducer : ITmqProducer, IDisposable
{
    private readonly IProducer<byte[]?, byte[]?> _producer;
    private readonly KafkaProducerOptions _options;
    private readonly ILogger _logger;
    private readonly RepeatedLogFilter _repeats = new(TimeProvider.System);
    private readonly string _clientId;
    private readonly TmqMetrics? _metrics;

    // Cancelled when disposing gives up on unacknowledged messages: Confluent.Kafka would
    // otherwise never complete their tasks.
    private readonly CancellationTokenSource _abandon = new();
    private int _disposed;

    /// <param name="options">The producer's settings.</param>
    /// <param name="logger">Where the client's errors and logs go.</param>
    /// <param name="serviceName">The default client.id.</param>
    /// <param name="metrics">Where sends are counted.</param>
    /// <param name="settingsSource">Where the settings come from, named when librdkafka refuses one. <value>Defaults to Tmq:Producer.</value></param>
    public KafkaProducer(KafkaProducerOptions options, ILogger? logger = null, string? serviceName = null, TmqMetrics? metrics = null, string? settingsSource = null)
    {
        _metrics = metrics;
        ArgumentNullException.ThrowIfNull(options);
        Validator.ValidateObject(options, new ValidationContext(options), validateAllProperties: true);
        _options = options;
        _logger = logger ?? NullLogger.Instance;

        var config = KafkaProducerConfig.Build(options, serviceName);
        _clientId = config.ClientId;
        if (_logger.IsEnabled(LogLevel.Debug))
        {
            ProducerLog.Starting(_logger, _clientId, KafkaConfigRedaction.Describe(config));
        }

        try
        {
            _producer = new ProducerBuilder<byte[]?, byte[]?>(config)
                .SetLogHandler(OnLog)
                .SetErrorHandler(OnError)
                .Build();
        }
        catch (Exception ex) when (ex is ArgumentException or KafkaException or InvalidOperationException)
        {
            // The original is not attached as the inner exception: librdkafka may quote a value.
            throw new ArgumentException(
                "The Kafka producer settings were rejected: " + KafkaConfigRedaction.Refusal(ex.Message, config)
                + $" Check {settingsSource ?? KafkaProducerOptions.SectionName + " and its Kafka section"} (keys are librdkafka property names).", nameof(options));
        }
    }

    /// <inheritdoc />
    public async Task<TmqDeliveryResult> SendAsync(
        string topic,
        ReadOnlyMemory<byte> key,
        ReadOnlyMemory<byte> value,
        TmqHeaders? headers = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(topic);
        using var activity = TmqActivity.StartSend(topic, "kafka");
        var kafkaHeaders = ToKafkaHeaders(headers);
        InjectTraceContext(activity ?? Activity.Current, headers, kafkaHeaders);
        var message = new Message<byte[]?, byte[]?>
        {
            Key = key.IsEmpty ? null : AsArray(key),
            Value = AsArray(value),
            Headers = kafkaHeaders,
        };

        try
        {
            var result = await ProduceAsync(topic, message, cancellationToken).ConfigureAwait(false);
            if (activity is { IsAllDataRequested: true })
            {
                activity.SetTag("messaging.destination.partition.id", result.Partition.ToString(CultureInfo.InvariantCulture));
                activity.SetTag("messaging.kafka.offset", result.Offset);
            }

            return result;
        }
        catch (TmqProduceException ex)
        {
            activity?.SetStatus(ActivityStatusCode.Error, ex.Code);
            activity?.SetTag("error.type", ex.Code);
            throw;
        }
    }

    /// <summary>Sends a prepared message as it is (no trace context added) and maps failures.</summary>
    internal async Task<TmqDeliveryResult> ProduceAsync(string topic, Message<byte[]?, byte[]?> message, CancellationToken cancellationToken)
    {
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
        using var linked = cancellationToken.CanBeCanceled
            ? CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, _abandon.Token)
            : null;
        try
        {
            var token = linked?.Token ?? _abandon.Token;
            var result = await _producer.ProduceAsync(topic, message, token).ConfigureAwait(false);
            if (_metrics is { Sent.Enabled: true })
            {
                _metrics.Sent.Add(1, new KeyValuePair<string, object?>("messaging.destination.name", topic), new KeyValuePair<string, object?>("messaging.system", "kafka"));
            }

            var timestamp = result.Timestamp.Type == TimestampType.NotAvailable
                ? DateTimeOffset.MinValue
                : DateTimeOffset.FromUnixTimeMilliseconds(result.Timestamp.UnixTimestampMs);
            return new TmqDeliveryResult(result.Topic, result.Partition.Value, result.Offset.Value, timestamp);
        }
        catch (ProduceException<byte[]?, byte[]?> ex)
        {
            throw ProduceErrors.Map(topic, ex.Error, ex.DeliveryResult?.Status, _options.DeliveryTimeout, ex);
        }
        catch (KafkaException ex)
        {
            throw ProduceErrors.Map(topic, ex.Error, null, _options.DeliveryTimeout, ex);
        }
        catch (OperationCanceledException ex) when (_abandon.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
        {
            throw ProduceErrors.Abandoned(topic, _options.FlushTimeout, ex);
        }
    }

    /// <summary>
    /// Waits up to <see cref="KafkaProducerOptions.FlushTimeout"/> for messages in flight, fails
    /// the rest, and closes the client. Idempotent.
    /// </summary>
    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        try
        {
            var left = _producer.Flush(_options.FlushTimeout);
            if (left > 0)
            {
                ProducerLog.FlushTimedOut(_logger, _clientId, left, _options.FlushTimeout);
                _abandon.Cancel();
            }
        }
        finally
        {
            _producer.Dispose();
            _abandon.Dispose();
        }
    }


    /// <summary>Adds W3C trace context unless the caller set a <c>traceparent</c> of their own.</summary>
    internal static void InjectTraceContext(Activity? activity, TmqHeaders? callerHeaders, Headers headers)
    {
        if (activity is null || activity.IdFormat != ActivityIdFormat.W3C || activity.Id is null)
        {
            return;
        }

        if (callerHeaders is not null && callerHeaders.TryGetLast(TmqActivity.TraceParentHeader, out _))
        {
            return;
        }

        headers.Add(TmqActivity.TraceParentHeader, Encoding.UTF8.GetBytes(activity.Id));
        if (!string.IsNullOrEmpty(activity.TraceStateString))
        {
            headers.Add(TmqActivity.TraceStateHeader, Encoding.UTF8.GetBytes(activity.TraceStateString));
        }
    }

    internal static Headers ToKafkaHeaders(TmqHeaders? headers)
    {
        var result = new Headers();
        if (headers is not null)
        {
            foreach (var header in headers)
            {
                result.Add(header.Name, AsArray(header.Value));
            }
        }

        return result;
    }

    /// <summary>The bytes as an array, without copying when the memory already is a whole array.</summary>
    internal static byte[] AsArray(ReadOnlyMemory<byte> memory) =>
        MemoryMarshal.TryGetArray(memory, out var segment) && segment.Array is { } array
            && segment.Offset == 0 && segment.Count == array.Length
            ? array
            : memory.ToArray();

    private void OnLog(IProducer<byte[]?, byte[]?> producer, LogMessage message)
    {
        var level = LibrdkafkaLog.Level(message.Level);
        if (_logger.IsEnabled(level) && _repeats.Admit(level, message.Message, out var text))
        {
            ProducerLog.Librdkafka(_logger, level, message.Facility, text);
        }
    }

    private void OnError(IProducer<byte[]?, byte[]?> producer, Error error)
    {
        if (error.IsFatal)
        {
            ProducerLog.FatalError(_logger, _clientId, error.Code.ToString(), error.Reason);
        }
        else if (_repeats.Admit(LogLevel.Warning, error.Reason, out var reason))
        {
            ProducerLog.ClientError(_logger, _clientId, error.Code.ToString(), reason);
        }
    }

}
