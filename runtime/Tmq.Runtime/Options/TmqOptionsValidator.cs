using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Options;
using Tmq.Hosting;

namespace Tmq;

/// <summary>
/// Checks the keys of the <c>Tmq</c> section itself at start-up: a misspelt section (<c>Consumer</c>,
/// <c>Heath</c>) or a consumer section that no registered consumer reads (<c>Consumers:mian</c>)
/// would otherwise be ignored without a word.
/// </summary>
internal sealed class TmqOptionsValidator(IConfiguration configuration, IEnumerable<ConsumerStatus> consumers) : IValidateOptions<TmqOptions>
{
    /// <summary>The sections the runtime and its transports read under <c>Tmq</c>.</summary>
    private static readonly string[] Sections = ["Service", "Consumers", "Producer", "Health", "Control", "Owner"];

    public ValidateOptionsResult Validate(string? name, TmqOptions options)
    {
        var errors = new List<string>();
        var root = configuration.GetSection(TmqOptions.SectionName);
        foreach (var child in root.GetChildren())
        {
            if (!Sections.Contains(child.Key, StringComparer.OrdinalIgnoreCase))
            {
                errors.Add(ConsumerOptionsValidator.Problem($"{TmqOptions.SectionName}:{child.Key}", $"is not a setting; the settings here are {string.Join(", ", Sections)}"));
            }
        }

        var registered = consumers.Select(static c => c.Name).ToList();
        var sections = root.GetSection("Consumers");
        var unset = registered.Where(name => !sections.GetSection(name).Exists()).ToList();
        foreach (var consumer in sections.GetChildren())
        {
            if (!registered.Contains(consumer.Key, StringComparer.OrdinalIgnoreCase))
            {
                var section = $"{TmqOptions.SectionName}:Consumers:{consumer.Key}";
                var which = registered.Count == 0 ? "this service registers no consumer" : $"the consumers this service registers are {string.Join(", ", registered)}";
                errors.Add(ConsumerOptionsValidator.Problem(section, $"is read by no consumer; {which}{Rename(section, consumer.Key, unset)} (each AddTmq...Consumer(name) reads Tmq:Consumers:<name>)"));
            }
        }

        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
    }

    /// <summary>
    /// When a registered consumer has no section, the unread one was most likely meant for it (the
    /// nearest name, if several have none).
    /// </summary>
    private static string Rename(string section, string key, List<string> unset)
    {
        if (unset.Count == 0)
        {
            return string.Empty;
        }

        var meant = unset.MinBy(name => ConfigurationTypeCheck.Distance(key.ToUpperInvariant(), name.ToUpperInvariant()))!;
        var target = $"{TmqOptions.SectionName}:Consumers:{meant}";
        return $", and {target} is not set: rename {section} to {target}";
    }
}
