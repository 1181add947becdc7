using System.CommandLine;

namespace Tmqtool.Validation;

/// <summary>The fleet verbs' <c>--timeout</c>: seconds to wait for the broker, 1 to 600, 10 by default.</summary>
internal static class BrokerTimeout
{
    internal const int MaxSeconds = 600;

    internal static Option<int> CreateOption() => new("--timeout")
    {
        Description = $"Seconds to wait for the broker, 1 to {MaxSeconds}.",
        DefaultValueFactory = _ => 10,
        HelpName = "seconds",
    };

    /// <summary>The value given, checked; exit code 2 (InputException) when out of range.</summary>
    internal static int Read(ParseResult parse, Option<int> option)
    {
        var timeout = parse.GetValue(option);
        InputException.CheckRange("--timeout", timeout, 1, MaxSeconds, "e.g. --timeout 10");
        return timeout;
    }
}
