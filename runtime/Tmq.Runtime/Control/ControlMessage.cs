using System.Globalization;
using System.Text.Json;

namespace Tmq.Control;

/// <summary>
/// A control message: the live settings an operator has set for a service's consumers
/// (<c>tmqtool pause</c>, <c>resume</c>, <c>set</c>). It carries the whole state for its address,
/// not a change: the latest message for an address replaces the one before, so a compacted Kafka
/// topic keeps exactly what a restarted instance needs.
/// </summary>
/// <remarks>
/// The wire format is UTF-8 JSON, at most <see cref="MaxBytes"/>:
/// <code>
/// {"tmq":"control","version":1,"service":"shop.orders.consumer","consumer":"main",
///  "settings":{"Paused":"true","Concurrency":"64"},"sentAt":"2026-12-07T22:00:00+00:00","sentBy":"alice@ops-1"}
/// </code>
/// <c>consumer</c> null or absent addresses every consumer of the service. On Kafka the message key
/// is <see cref="Key"/> (<c>service</c> or <c>service/consumer</c>), and a tombstone (the key with no
/// value) drops the address's settings. Unknown properties are ignored, so later versions may add
/// some; a message of a higher <c>version</c> is refused whole.
/// <para>NSQ keeps no messages for later, so a sender there cannot read the state it would replace:
/// it sends <c>"merge": true</c>, and the settings are laid over the address's current ones, with the
/// names in <c>"unset"</c> removed.</para>
/// </remarks>
/// <param name="Service">The service (PSM) the message is for.</param>
/// <param name="Consumer">The consumer name within the service, or null for all of them.</param>
/// <param name="Settings">The live settings (see <see cref="ControlSettings"/>), by canonical name.</param>
/// <param name="SentAt">When it was sent.</param>
/// <param name="SentBy">Who sent it (user@host), for the log line that applies it.</param>
/// <param name="Merge">Whether <paramref name="Settings"/> are laid over the address's current settings instead of replacing them.</param>
/// <param name="Unset">With <paramref name="Merge"/>, the settings removed from the address.</param>
public sealed record ControlMessage(string Service, string? Consumer, IReadOnlyDictionary<string, string> Settings, DateTimeOffset SentAt, string SentBy, bool Merge = false, IReadOnlyList<string>? Unset = null)
{
    /// <summary>The largest control message read or written.</summary>
    public const int MaxBytes = 64 * 1024;

    /// <summary>The one format version this runtime reads and writes.</summary>
    public const int Version = 1;

    /// <summary>The message key: <c>service</c>, or <c>service/consumer</c>.</summary>
    public string Key => KeyFor(Service, Consumer);

    /// <summary>The key of an address: <c>service</c>, or <c>service/consumer</c>.</summary>
    public static string KeyFor(string service, string? consumer) =>
        string.IsNullOrEmpty(consumer) ? service : $"{service}/{consumer}";

    /// <summary>Splits a key into its service and consumer (null for the whole service).</summary>
    public static (string Service, string? Consumer) ParseKey(string key)
    {
        var slash = key.IndexOf('/', StringComparison.Ordinal);
        return slash < 0 ? (key, null) : (key[..slash], key[(slash + 1)..]);
    }

    /// <summary>The message as UTF-8 JSON.</summary>
    public byte[] Encode()
    {
        using var buffer = new MemoryStream();
        using (var json = new Utf8JsonWriter(buffer))
        {
            json.WriteStartObject();
            json.WriteString("tmq", "control");
            json.WriteNumber("version", Version);
            json.WriteString("service", Service);
            if (Consumer is null)
            {
                json.WriteNull("consumer");
            }
            else
            {
                json.WriteString("consumer", Consumer);
            }

            json.WriteStartObject("settings");
            foreach (var (name, value) in Settings.OrderBy(static s => s.Key, StringComparer.Ordinal))
            {
                json.WriteString(name, value);
            }

            json.WriteEndObject();
            if (Merge)
            {
                json.WriteBoolean("merge", true);
                json.WriteStartArray("unset");
                foreach (var name in Unset ?? [])
                {
                    json.WriteStringValue(name);
                }

                json.WriteEndArray();
            }

            json.WriteString("sentAt", SentAt.ToString("O", CultureInfo.InvariantCulture));
            json.WriteString("sentBy", SentBy);
            json.WriteEndObject();
        }

        return buffer.ToArray();
    }

    /// <summary>
    /// Reads a control message, or says why the bytes are not one: not JSON, not a control message,
    /// a newer version, a missing service, a setting that is not live or has no value.
    /// </summary>
    public static bool TryDecode(ReadOnlySpan<byte> bytes, out ControlMessage? message, out string error)
    {
        message = null;
        if (bytes.Length > MaxBytes)
        {
            error = $"it is {bytes.Length} bytes, more than the {MaxBytes} a control message may have";
            return false;
        }

        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(bytes.ToArray(), new JsonDocumentOptions { MaxDepth = 8 });
        }
        catch (JsonException e)
        {
            error = $"it is not JSON ({e.Message})";
            return false;
        }

        using (document)
        {
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object || !root.TryGetProperty("tmq", out var kind) || kind.ValueKind != JsonValueKind.String || kind.GetString() != "control")
            {
                error = "it is not a control message (no \"tmq\": \"control\")";
                return false;
            }

            if (!root.TryGetProperty("version", out var version) || version.ValueKind != JsonValueKind.Number || !version.TryGetInt32(out var number) || number < 1)
            {
                error = "its \"version\" is missing or not a positive whole number";
                return false;
            }

            if (number > Version)
            {
                error = $"it is version {number}, and this runtime reads version {Version}: upgrade the service's Tmq packages to apply it";
                return false;
            }

            if (!root.TryGetProperty("service", out var service) || service.ValueKind != JsonValueKind.String || string.IsNullOrWhiteSpace(service.GetString()))
            {
                error = "its \"service\" is missing or empty";
                return false;
            }

            string? consumer = null;
            if (root.TryGetProperty("consumer", out var consumerElement) && consumerElement.ValueKind != JsonValueKind.Null)
            {
                if (consumerElement.ValueKind != JsonValueKind.String || string.IsNullOrWhiteSpace(consumerElement.GetString()))
                {
                    error = "its \"consumer\" is neither null nor a name";
                    return false;
                }

                consumer = consumerElement.GetString();
            }

            if (!root.TryGetProperty("settings", out var settingsElement) || settingsElement.ValueKind != JsonValueKind.Object)
            {
                error = "its \"settings\" is missing or not an object";
                return false;
            }

            var raw = new List<KeyValuePair<string, string?>>();
            foreach (var setting in settingsElement.EnumerateObject())
            {
                string? value = setting.Value.ValueKind switch
                {
                    JsonValueKind.String => setting.Value.GetString(),
                    JsonValueKind.Number => setting.Value.GetRawText(),
                    JsonValueKind.True => "true",
                    JsonValueKind.False => "false",
                    _ => null,
                };
                if (string.IsNullOrEmpty(value))
                {
                    error = $"its setting \"{setting.Name}\" has no value (a string, number or true/false)";
                    return false;
                }

                raw.Add(new(setting.Name, value));
            }

            if (!ControlSettings.TryNormalize(raw, out var settings, out error))
            {
                return false;
            }

            var merge = root.TryGetProperty("merge", out var mergeElement) && mergeElement.ValueKind == JsonValueKind.True;
            var unset = new List<string>();
            if (root.TryGetProperty("unset", out var unsetElement) && unsetElement.ValueKind != JsonValueKind.Null)
            {
                if (!merge || unsetElement.ValueKind != JsonValueKind.Array)
                {
                    error = "its \"unset\" is not a list of settings, or comes without \"merge\": true";
                    return false;
                }

                foreach (var item in unsetElement.EnumerateArray())
                {
                    if (item.ValueKind != JsonValueKind.String || ControlSettings.Canonical(item.GetString()!) is not { } name)
                    {
                        error = $"its \"unset\" names {item.GetRawText()}, which is not a setting that can be changed live; those are {string.Join(", ", ControlSettings.Names)}";
                        return false;
                    }

                    unset.Add(name);
                }
            }

            var sentAt = root.TryGetProperty("sentAt", out var at) && at.ValueKind == JsonValueKind.String && DateTimeOffset.TryParse(at.GetString(), CultureInfo.InvariantCulture, DateTimeStyles.RoundtripKind, out var parsed)
                ? parsed
                : DateTimeOffset.MinValue;
            var sentBy = root.TryGetProperty("sentBy", out var by) && by.ValueKind == JsonValueKind.String ? by.GetString() ?? string.Empty : string.Empty;
            message = new ControlMessage(service.GetString()!, consumer, settings, sentAt, sentBy, merge, merge ? unset : null);
            error = string.Empty;
            return true;
        }
    }
}
