using System.Text;
using System.Text.Json;

namespace Tmq;

/// <summary>String and JSON conveniences over <see cref="ITmqProducer.SendAsync"/>.</summary>
public static class TmqProducerExtensions
{
    private static readonly JsonSerializerOptions s_web = new(JsonSerializerDefaults.Web);

    /// <summary>Sends a UTF-8 text message.</summary>
    /// <param name="producer">The producer.</param>
    /// <param name="topic">The destination topic.</param>
    /// <param name="key">The key, UTF-8 encoded; null or empty for none.</param>
    /// <param name="value">The payload, UTF-8 encoded.</param>
    /// <param name="headers">Headers to send. <value>Defaults to none.</value></param>
    /// <param name="cancellationToken">Stops waiting; see <see cref="ITmqProducer.SendAsync"/>.</param>
    /// <exception cref="TmqProduceException">The broker did not accept the message.</exception>
    public static Task<TmqDeliveryResult> SendAsync(
        this ITmqProducer producer,
        string topic,
        string? key,
        string value,
        TmqHeaders? headers = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(producer);
        ArgumentNullException.ThrowIfNull(value);
        return producer.SendAsync(topic, Utf8(key), Encoding.UTF8.GetBytes(value), headers, cancellationToken);
    }

    /// <summary>Sends <paramref name="value"/> serialized as JSON (System.Text.Json, web defaults unless <paramref name="options"/> say otherwise).</summary>
    /// <param name="producer">The producer.</param>
    /// <param name="topic">The destination topic.</param>
    /// <param name="key">The key, UTF-8 encoded; null or empty for none.</param>
    /// <param name="value">The object to serialize.</param>
    /// <param name="options">Serializer options. <value>Defaults to <see cref="JsonSerializerDefaults.Web"/>, matching <see cref="TmqMessage.ValueAsJson{T}"/>.</value></param>
    /// <param name="headers">Headers to send. <value>Defaults to none.</value></param>
    /// <param name="cancellationToken">Stops waiting; see <see cref="ITmqProducer.SendAsync"/>.</param>
    /// <exception cref="TmqProduceException">The broker did not accept the message.</exception>
    public static Task<TmqDeliveryResult> SendJsonAsync<T>(
        this ITmqProducer producer,
        string topic,
        string? key,
        T value,
        JsonSerializerOptions? options = null,
        TmqHeaders? headers = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(producer);
        var payload = JsonSerializer.SerializeToUtf8Bytes(value, options ?? s_web);
        return producer.SendAsync(topic, Utf8(key), payload, headers, cancellationToken);
    }

    private static ReadOnlyMemory<byte> Utf8(string? text) =>
        string.IsNullOrEmpty(text) ? ReadOnlyMemory<byte>.Empty : Encoding.UTF8.GetBytes(text);
}
