using System.Text;

namespace Tmq.Kafka;

/// <summary>Keeps secrets in librdkafka settings out of logs and exception messages.</summary>
internal static class KafkaConfigRedaction
{
    public const string Mask = "***";

    // Substrings of librdkafka keys whose values are credentials: sasl.password,
    // ssl.key.password, ssl.keystore.password, sasl.oauthbearer.client.secret, ssl.key.pem,
    // ssl_key (the PEM itself), sasl.oauthbearer.config (may embed a secret), sasl.jaas.config.
    private static readonly string[] s_secretParts =
        ["password", "secret", "key.pem", "ssl_key", "private", "token", "oauthbearer.config", "jaas", "credential"];

    public static bool IsSecret(string key)
    {
        foreach (var part in s_secretParts)
        {
            if (key.Contains(part, StringComparison.OrdinalIgnoreCase))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>"key=value, ..." with secret values masked, for a debug log line.</summary>
    public static string Describe(IEnumerable<KeyValuePair<string, string>> settings)
    {
        var text = new StringBuilder();
        foreach (var (key, value) in settings.OrderBy(s => s.Key, StringComparer.Ordinal))
        {
            if (text.Length > 0)
            {
                text.Append(", ");
            }

            text.Append(key).Append('=').Append(IsSecret(key) ? Mask : value);
        }

        return text.ToString();
    }

    /// <summary>
    /// librdkafka's refusal of a setting, scrubbed of secret values (it may quote a rejected value)
    /// and ended as a sentence, so that the advice after it reads as one.
    /// </summary>
    public static string Refusal(string message, IEnumerable<KeyValuePair<string, string>> settings)
    {
        var text = Scrub(message, settings).TrimEnd();
        return text.EndsWith('.') ? text : text + ".";
    }

    /// <summary>Removes every secret value from <paramref name="message"/> (librdkafka may quote a rejected value).</summary>
    public static string Scrub(string message, IEnumerable<KeyValuePair<string, string>> settings)
    {
        foreach (var (key, value) in settings)
        {
            if (IsSecret(key) && !string.IsNullOrEmpty(value))
            {
                message = message.Replace(value, Mask, StringComparison.Ordinal);
            }
        }

        return message;
    }
}
