namespace Tmq.Nsq;

/// <summary>nsqd's rule for topic and channel names, for the client's checks and the dev nsqd alike.</summary>
internal static class NsqNames
{
    public const string Rule = "1-64 characters in all of letters, digits, '.', '_' and '-', optionally ending in \"#ephemeral\"";

    public const int MaxLength = 64;
    public const string EphemeralSuffix = "#ephemeral";

    /// <summary>As nsqd checks it: at most 64 characters with the suffix, and a stem of at least one allowed character.</summary>
    public static bool IsValid(string? name)
    {
        if (name is null || name.Length is < 1 or > MaxLength)
        {
            return false;
        }

        var stem = IsEphemeral(name) ? name.AsSpan(0, name.Length - EphemeralSuffix.Length) : name.AsSpan();
        if (stem.IsEmpty)
        {
            return false;
        }

        foreach (var c in stem)
        {
            if (!(char.IsAsciiLetterOrDigit(c) || c is '.' or '_' or '-'))
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>A topic or channel that nsqd drops once its last client leaves, and never writes to disk.</summary>
    public static bool IsEphemeral(string name) => name.EndsWith(EphemeralSuffix, StringComparison.Ordinal);
}
