using System.Globalization;

namespace Tmq.Kafka;

/// <summary>
/// The form of a <c>bootstrap.servers</c> list, checked at start-up: librdkafka reads a port it
/// cannot parse as 0 (<c>broker:xx</c> becomes <c>broker:0</c>) and then retries for ever.
/// Whether a host resolves is left to the client: in a cluster it may not resolve yet.
/// </summary>
internal static class KafkaBootstrapServers
{
    public const string Rule = "a comma-separated list of host:port, e.g. \"kafka-1:9092,kafka-2:9092\" (the port is 1 to 65535; without one, 9092)";

    /// <summary>What is wrong with <paramref name="servers"/>, or null when it has the form of a broker list.</summary>
    public static string? Problem(string servers)
    {
        foreach (var raw in servers.Split(','))
        {
            var entry = raw.Trim();
            var scheme = entry.IndexOf("://", StringComparison.Ordinal);
            var address = scheme >= 0 ? entry[(scheme + 3)..] : entry;
            if (address.Length == 0)
            {
                return "it has an empty entry";
            }

            // [IPv6]:port, host:port or host; a bare IPv6 address has more than one ':'.
            var port = address.StartsWith('[')
                ? address.IndexOf("]:", StringComparison.Ordinal) is var close and >= 0 ? address[(close + 2)..] : null
                : address.Count(static c => c == ':') == 1 ? address[(address.IndexOf(':', StringComparison.Ordinal) + 1)..] : null;
            if (port is not null && !(int.TryParse(port, NumberStyles.None, CultureInfo.InvariantCulture, out var number) && number is >= 1 and <= 65535))
            {
                return $"the port of \"{entry}\" is not a number from 1 to 65535";
            }

            var host = port is null ? address : address[..(address.Length - port.Length - 1)];
            if (host.Length == 0 || host.Any(char.IsWhiteSpace))
            {
                return $"\"{entry}\" has no host name";
            }
        }

        return null;
    }
}
