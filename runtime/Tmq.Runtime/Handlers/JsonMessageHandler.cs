using System.Text.Json;

namespace Tmq;

/// <summary>Adapts an <see cref="IMessageHandler{T}"/> to <see cref="IMessageHandler"/> by deserializing JSON.</summary>
/// <typeparam name="T">The payload type.</typeparam>
public sealed class JsonMessageHandler<T> : IMessageHandler
{
    private readonly IMessageHandler<T> _inner;
    private readonly JsonSerializerOptions? _options;

    /// <summary>Wraps <paramref name="inner"/>.</summary>
    /// <param name="inner">The typed handler.</param>
    /// <param name="options">Serializer options. <value>Defaults to <see cref="JsonSerializerDefaults.Web"/>, strict about the
    /// contract: a missing constructor parameter that has no default, or a null for a non-nullable member, does not deserialize.</value></param>
    public JsonMessageHandler(IMessageHandler<T> inner, JsonSerializerOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(inner);
        _inner = inner;
        _options = options;
    }

    /// <inheritdoc />
    public Task HandleAsync(TmqMessage message, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(message);
        var payload = JsonPayload.Deserialize<T>(message, _options);
        return _inner.HandleAsync(payload, message, cancellationToken);
    }
}
