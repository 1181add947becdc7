using System.Text.RegularExpressions;

namespace Tmq.Nsq;

/// <summary>nsqd's rule for topic and channel names.</summary>
internal static partial class NsqNames
{
    public const string Rule = "1-64 characters of letters, digits, '.', '_' and '-', optionally followed by \"#ephemeral\"";

    public static bool IsValid(string? name) => name is not null && Pattern().IsMatch(name);

    [GeneratedRegex("^[.a-zA-Z0-9_-]{1,64}(#ephemeral)?$", RegexOptions.CultureInvariant)]
    private static partial Regex Pattern();
}
