using System.Globalization;
using System.Text.RegularExpressions;

namespace Tmqtool.Validation;

/// <summary>A Kafka <c>bootstrap.servers</c> list: host:port pairs separated by commas.</summary>
internal static partial class BootstrapServers
{
    internal const string Option = "--bootstrap-servers";

    /// <summary>The <c>--bootstrap-servers</c> (<c>-b</c>) option every Kafka verb takes.</summary>
    internal static System.CommandLine.Option<string> CreateOption() => new(Option, "-b")
    {
        Description = "The Kafka brokers, host:port[,host:port...]. Required.",
        HelpName = "servers",
    };

    internal const string Rule = "one or more host:port pairs separated by commas, e.g. 127.0.0.1:9092 or kafka-1:9092,kafka-2:9092 (an IPv6 host in brackets: [::1]:9092)";

    private const string Fix = "pass the address `tmqtool dev kafka` printed (its bootstrap.servers= line), or your brokers' addresses";

    internal static string Validate(string? value)
    {
        if (string.IsNullOrEmpty(value))
        {
            throw InputException.Missing(Option, Rule, Fix + "; for an NSQ topic give --nsqd or --lookupd instead");
        }

        foreach (var server in value.Split(','))
        {
            var match = Pair().Match(server);
            if (!match.Success
                || !int.TryParse(match.Groups["port"].ValueSpan, NumberStyles.None, CultureInfo.InvariantCulture, out var port)
                || port is < 1 or > 65535)
            {
                throw InputException.Invalid(Option, value, "list of Kafka servers", Rule, Fix);
            }
        }

        return value;
    }

    [GeneratedRegex(@"\A(?:[a-zA-Z0-9](?:[a-zA-Z0-9.-]{0,252})|\[[0-9a-fA-F:.]{2,45}\]):(?<port>[0-9]{1,5})\z", RegexOptions.CultureInvariant)]
    private static partial Regex Pair();
}
