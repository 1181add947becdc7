using System.Text;
using System.Text.RegularExpressions;

namespace Tmqtool.Validation;

/// <summary>
/// The service name (PSM: product.subsystem.module). It becomes the Kafka client id and group,
/// the NSQ channel and the telemetry service name, so it is kept to a charset all of them accept.
/// </summary>
/// <remarks>
/// Two segments are the minimum (one word says too little to find a service among hundreds);
/// there is no maximum count, only the 64-character limit, which is NSQ's channel limit so that
/// the PSM is always a valid default channel as it is.
/// </remarks>
internal static partial class Psm
{
    internal const string Option = "--psm";
    internal const int MaxLength = 64;

    internal const string Rule =
        "two or more segments separated by '.', each a lowercase ASCII letter followed by lowercase letters, digits or '_'; at most 64 characters in all";

    internal static string Validate(string? value, string option = Option)
    {
        var example = $"e.g. {option} shop.orders.consumer";
        if (string.IsNullOrEmpty(value))
        {
            throw InputException.Missing(option, Rule, "name the service, " + example);
        }

        if (IsValid(value))
        {
            return value;
        }

        var lower = value.ToLowerInvariant();
        var fix = !string.Equals(lower, value, StringComparison.Ordinal) && IsValid(lower)
            ? $"use lowercase: {option} {lower}"
            : example;
        throw InputException.Invalid(option, value, "PSM", Rule, fix);
    }

    /// <summary>shop.orders_v2.consumer becomes Shop.OrdersV2.Consumer.</summary>
    internal static string ToProjectName(string psm)
    {
        var name = new StringBuilder(psm.Length);
        foreach (var segment in psm.Split('.'))
        {
            if (name.Length > 0)
            {
                name.Append('.');
            }

            foreach (var word in segment.Split('_', StringSplitOptions.RemoveEmptyEntries))
            {
                name.Append(char.ToUpperInvariant(word[0])).Append(word.AsSpan(1));
            }
        }

        return name.ToString();
    }

    private static bool IsValid(string value) => value.Length <= MaxLength && Pattern().IsMatch(value);

    [GeneratedRegex(@"\A[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)+\z", RegexOptions.CultureInvariant)]
    private static partial Regex Pattern();
}
