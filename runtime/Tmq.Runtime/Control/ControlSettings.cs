using Microsoft.Extensions.Configuration;

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

    /// <summary>
    /// What is wrong with <paramref name="settings"/> (canonical names) as values, checked as a
    /// consumer checks them at start-up, with every other setting at its default: a senders' check,
    /// so that a bad value is refused before it reaches the fleet. An instance checks again with its
    /// own settings (e.g. Concurrency above its MaxBufferedMessages) and ignores what fails there.
    /// </summary>
    public static IReadOnlyList<string> Problems(IReadOnlyDictionary<string, string> settings)
    {
        ArgumentNullException.ThrowIfNull(settings);
        var problems = new List<string>();
        foreach (var (name, value) in settings)
        {
            var options = new ConsumerOptions { Topic = "t", MaxBufferedMessages = TmqDefaults.MaxBufferedLimit };
            try
            {
                new ConfigurationBuilder()
                    .AddInMemoryCollection([new KeyValuePair<string, string?>(name, value)])
                    .Build()
                    .Bind(options);
            }
            catch (InvalidOperationException)
            {
                problems.Add($"{name} is \"{value}\", which is not a {Kind(name)}");
                continue;
            }

            const string Path = "~";
            problems.AddRange(ConsumerOptionsValidator.Check(Path, options)
                .Where(p => p.StartsWith($"{Path}:{name} ", StringComparison.Ordinal))
                .Select(p => p[(Path.Length + 1)..] is var text && text.IndexOf(". Fix it in", StringComparison.Ordinal) is var end and > 0 ? text[..end] : text));
        }

        return problems;
    }

    private static string Kind(string name) => name switch
    {
        "Concurrency" or "Retry:MaxAttempts" => "whole number",
        "Paused" => "true or false",
        "Retry:InitialDelay" or "Retry:MaxDelay" => "time span such as 00:00:01.5",
        "Retry:Multiplier" or "Retry:Jitter" => "number such as 0.2",
        _ => "policy: DeadLetter or Stop",
    };
}
