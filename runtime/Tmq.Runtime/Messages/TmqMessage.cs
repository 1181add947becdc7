using System.Text;
using System.Text.Json;

namespace Tmq;

/// <summary>
/// One message as the handler sees it, whichever broker it came from.
/// </summary>
/// <remarks>
/// Kafka fills <see cref="Partition"/> and <see cref="Offset"/>; NSQ fills <see cref="MessageId"/>.
/// The instance belongs to the runtime: do not keep it after the handler returns, and do not
/// handle it on another thread after the handler's task has completed.
/// </remarks>
public sealed partial class TmqMessage
{
    /// <summary>Creates a message. Transports and tests create messages; handlers only read them.</summary>
    /// <param name="topic">The topic the message was read from.</param>
    /// <param name="key">The message key; empty when the message has none.</param>
    /// <param name="value">The message payload.</param>
    public TmqMessage(string topic, ReadOnlyMemory<byte> key, ReadOnlyMemory<byte> value)
    {
        ArgumentNullException.ThrowIfNull(topic);
        Topic = topic;
        Key = key;
        Value = value;
    }

    /// <summary>The topic the message was read from.</summary>
    public string Topic { get; }

    /// <summary>The key; empty when the message has none (then ordering falls back to the partition).</summary>
    public ReadOnlyMemory<byte> Key { get; }

    /// <summary>The payload.</summary>
    public ReadOnlyMemory<byte> Value { get; }

    /// <summary>The headers. <value>Defaults to <see cref="TmqHeaders.Empty"/>.</value></summary>
    public TmqHeaders Headers { get; init; } = TmqHeaders.Empty;

    /// <summary>The Kafka partition. <value>Defaults to 0; always 0 on NSQ.</value></summary>
    public int Partition { get; init; }

    /// <summary>The Kafka offset. <value>On NSQ, a per-connection sequence number.</value></summary>
    public long Offset { get; init; }

    /// <summary>The NSQ message id (16 characters). <value>Defaults to null; null on Kafka.</value></summary>
    public string? MessageId { get; init; }

    /// <summary>Where the message is, for logs: <c>orders[2]@1041</c> on Kafka, <c>orders message 0cbcb9483dc00003</c> on NSQ (whose partition and offset are the runtime's own).</summary>
    internal string Position => MessageId is { } id ? $"{Topic} message {id}" : $"{Topic}[{Partition}]@{Offset}";

    /// <summary>When the message was produced, as the broker reports it. <value>Defaults to <see cref="DateTimeOffset.MinValue"/> when unknown.</value></summary>
    public DateTimeOffset Timestamp { get; init; }

    /// <summary>
    /// Which delivery of this message this is, starting at 1. Counts in-place retries and
    /// broker redeliveries (NSQ attempts) alike.
    /// <value>Defaults to 1.</value>
    /// </summary>
    public int Attempt { get; internal set; } = 1;

    /// <summary>The key decoded as UTF-8 (empty string when there is no key).</summary>
    public string KeyAsString() => Key.IsEmpty ? string.Empty : Encoding.UTF8.GetString(Key.Span);

    /// <summary>The payload decoded as UTF-8.</summary>
    public string ValueAsString() => Encoding.UTF8.GetString(Value.Span);

    /// <summary>Deserializes the payload as JSON.</summary>
    /// <param name="options">Serializer options. <value>Defaults to <see cref="JsonSerializerDefaults.Web"/>, strict about the
    /// contract: a missing constructor parameter that has no default, or a null for a non-nullable member, does not deserialize.</value></param>
    /// <exception cref="PermanentFailureException">The payload is not valid JSON for <typeparamref name="T"/>; the runtime dead-letters it without retrying.</exception>
    public T ValueAsJson<T>(JsonSerializerOptions? options = null) =>
        JsonPayload.Deserialize<T>(this, options);
}
