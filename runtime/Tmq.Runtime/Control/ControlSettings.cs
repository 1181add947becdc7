namespace Tmq.Control;

/// <summary>
/// The settings a control message may carry: those a consumer reads live (Concurrency, Paused and
/// Retry). Settings read only at start-up (Topic, Group, the Kafka or Nsq block, ...) cannot be set
/// this way: a restart would be needed, and a running fleet would disagree with what it was told.
/// </summary>
public static class ControlSettings
{
    /// <summary>The live settings, by their canonical names (the paths under <c>Tmq:Consumers:&lt;name&gt;</c>).</summary>
    public static IReadOnlyList<string> Names { get; } =
    [
        "Concurrency",
        "Paused",
        "Retry:MaxAttempts",
        "Retry:InitialDelay",
        "Retry:MaxDelay",
        "Retry:Multiplier",
        "Retry:Jitter",
        "Retry:OnExhausted",
    ];

    /// <summary>
    /// Maps names to their canonical spelling (case and <c>.</c> or <c>__</c> for <c>:</c> do not
    /// matter), or says which name is not a live setting.
    /// </summary>
    public static bool TryNormalize(IEnumerable<KeyValuePair<string, string?>> settings, out IReadOnlyDictionary<string, string> normalized, out string error)
    {
        ArgumentNullException.ThrowIfNull(settings);
        var result = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var (name, value) in settings)
        {
            if (Canonical(name) is not { } canonical)
            {
                normalized = result;
                error = $"\"{name}\" is not a setting that can be changed live; those are {string.Join(", ", Names)}";
                return false;
            }

            if (value is null)
            {
                normalized = result;
                error = $"the setting {canonical} has no value";
                return false;
            }

            if (!result.TryAdd(canonical, value))
            {
                normalized = result;
                error = $"the setting {canonical} is given twice";
                return false;
            }
        }

        normalized = result;
        error = string.Empty;
        return true;
    }

    /// <summary>The canonical name of a live setting, or null.</summary>
    public static string? Canonical(string name)
    {
        var path = name.Trim().Replace("__", ":", StringComparison.Ordinal).Replace('.', ':');
        return Names.FirstOrDefault(n => string.Equals(n, path, StringComparison.OrdinalIgnoreCase));
    }
}
