using System.Text.Json;

namespace Tmq;

internal static class JsonPayload
{
    /// <summary>
    /// Web defaults (camelCase names, case-insensitive), strict about the contract: a missing
    /// constructor parameter without a default (<c>{}</c> for <c>record Order(string Id)</c>) or a
    /// null for a non-nullable member fails here, as a permanent failure that is dead-lettered,
    /// instead of handing the handler an object whose Id is null.
    /// </summary>
    internal static readonly JsonSerializerOptions DefaultOptions = new(JsonSerializerDefaults.Web)
    {
        RespectRequiredConstructorParameters = true,
        RespectNullableAnnotations = true,
    };

    internal static T Deserialize<T>(TmqMessage message, JsonSerializerOptions? options)
    {
        T? value;
        try
        {
            value = JsonSerializer.Deserialize<T>(message.Value.Span, options ?? DefaultOptions);
        }
        catch (Exception ex) when (ex is JsonException or NotSupportedException or InvalidOperationException)
        {
            throw new PermanentFailureException(
                $"The payload of {Describe(message)} is not valid JSON for {typeof(T).Name}: {ex.Message}", ex);
        }

        if (value is null)
        {
            throw new PermanentFailureException(
                $"The payload of {Describe(message)} is the JSON literal null, but {typeof(T).Name} was expected.");
        }

        return value;
    }

    internal static string Describe(TmqMessage message) => message.MessageId is { } id
        ? $"message {id} on topic '{message.Topic}'"
        : $"message {message.Topic}[{message.Partition}]@{message.Offset}";
}
