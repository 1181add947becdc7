using System.ComponentModel;
using System.Reflection;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Options;

namespace Tmq;

/// <summary>
/// Checks an options section before the configuration binder sees it: every value converts to its
/// property's type (and a duration is written with a ':'), and every key is a setting. The binder's
/// own error ("Failed to convert configuration value 'Random' at '...:Ordering' to type
/// 'Tmq.OrderingMode'") names neither the valid values nor the fix and stops at the first bad value,
/// and the binder ignores a misspelt key, so <c>Concurency: 4</c> would run with the default.
/// </summary>
internal static class ConfigurationTypeCheck
{
    /// <summary>
    /// Throws a <see cref="TmqSettingsException"/> naming every value under <paramref name="path"/>
    /// that does not convert and every key that is not a setting, together with what
    /// <paramref name="validators"/> find in the rest, so that one start reports every problem.
    /// </summary>
    public static void ThrowIfInvalid<TOptions>(IConfiguration configuration, string path, string name, IEnumerable<IValidateOptions<TOptions>> validators)
        where TOptions : class, new()
    {
        var section = configuration.GetSection(path);
        var problems = new List<Problem>();
        Check(section, typeof(TOptions), path, problems);
        if (problems.Count == 0)
        {
            return;
        }

        // Bind the values that do convert and validate them too; a setting already named keeps its one message.
        var unconvertible = problems.Where(static p => p.Unconvertible).Select(static p => p.Setting).ToHashSet(StringComparer.OrdinalIgnoreCase);
        var convertible = section.AsEnumerable()
            .Where(pair => pair.Value is not null && !unconvertible.Contains(pair.Key))
            .ToDictionary(static pair => pair.Key, static pair => pair.Value, StringComparer.OrdinalIgnoreCase);
        var options = new TOptions();
        new ConfigurationBuilder().AddInMemoryCollection(convertible).Build().GetSection(path).Bind(options);
        var errors = problems.Select(static p => p.Message).ToList();
        errors.AddRange(Failures(name, options, validators).Where(failure => !unconvertible.Any(setting => failure.StartsWith(setting + " ", StringComparison.OrdinalIgnoreCase))));
        throw new TmqSettingsException(name, typeof(TOptions), errors);
    }

    /// <summary>
    /// Runs <paramref name="validators"/> on the configured <paramref name="options"/> and throws a
    /// <see cref="TmqSettingsException"/> with every failure. Called from a PostConfigure, so after every
    /// Configure (the user's too) and before the options framework's own validation, which would
    /// throw the same failures as a plain <see cref="OptionsValidationException"/>.
    /// </summary>
    public static void ThrowIfFailed<TOptions>(string name, TOptions options, IEnumerable<IValidateOptions<TOptions>> validators)
        where TOptions : class
    {
        var failures = Failures(name, options, validators).ToList();
        if (failures.Count > 0)
        {
            throw new TmqSettingsException(name, typeof(TOptions), failures);
        }
    }

    private static IEnumerable<string> Failures<TOptions>(string name, TOptions options, IEnumerable<IValidateOptions<TOptions>> validators)
        where TOptions : class =>
        validators.Select(validator => validator.Validate(name, options)).Where(static result => result.Failed).SelectMany(static result => result.Failures ?? []);

    private readonly record struct Problem(string Setting, string Message, bool Unconvertible);

    private static void Check(IConfigurationSection section, Type type, string path, List<Problem> problems)
    {
        var properties = type.GetProperties(BindingFlags.Public | BindingFlags.Instance);
        foreach (var child in section.GetChildren())
        {
            if (!properties.Any(p => string.Equals(p.Name, child.Key, StringComparison.OrdinalIgnoreCase)))
            {
                var setting = $"{path}:{child.Key}";
                problems.Add(new(setting, ConsumerOptionsValidator.Problem(setting, $"is not a setting; {Suggest(child.Key, properties)}"), Unconvertible: false));
            }
        }

        foreach (var property in properties)
        {
            var child = section.GetSection(property.Name);
            var target = Nullable.GetUnderlyingType(property.PropertyType) ?? property.PropertyType;
            var setting = $"{path}:{property.Name}";
            if (Rule(target) is { } rule)
            {
                if (child.Value is { Length: > 0 } value && !Converts(target, value))
                {
                    problems.Add(new(setting, ConsumerOptionsValidator.Problem(setting, $"is \"{value}\"; {rule}"), Unconvertible: true));
                }
            }
            else if (target.IsClass && target.Namespace is { } ns && (ns == typeof(ConsumerOptions).Namespace || ns.StartsWith(typeof(ConsumerOptions).Namespace + ".", StringComparison.Ordinal)))
            {
                // A nested options class of the runtime's own, such as Retry or DeadLetter, or a
                // transport's block such as Nsq.
                Check(child, target, setting, problems);
            }
        }
    }

    /// <summary>The setting the key was most likely meant to be, or the list of settings.</summary>
    private static string Suggest(string key, PropertyInfo[] properties)
    {
        var closest = properties
            .Select(p => (p.Name, Distance: Distance(key.ToUpperInvariant(), p.Name.ToUpperInvariant())))
            .OrderBy(static c => c.Distance)
            .FirstOrDefault();
        return closest.Name is not null && closest.Distance <= Math.Max(2, key.Length / 4)
            ? $"the closest setting is {closest.Name}"
            : $"the settings here are {string.Join(", ", properties.Select(static p => p.Name))}";
    }

    /// <summary>
    /// The fewest single-character edits (insert, delete, replace, or swap two neighbours) that turn
    /// one into the other: a swap is one edit, so <c>Paht</c> is nearer <c>Path</c> than <c>Port</c>.
    /// </summary>
    internal static int Distance(string a, string b)
    {
        var d = new int[a.Length + 1, b.Length + 1];
        for (var i = 0; i <= a.Length; i++)
        {
            d[i, 0] = i;
        }

        for (var j = 0; j <= b.Length; j++)
        {
            d[0, j] = j;
        }

        for (var i = 1; i <= a.Length; i++)
        {
            for (var j = 1; j <= b.Length; j++)
            {
                d[i, j] = Math.Min(Math.Min(d[i - 1, j] + 1, d[i, j - 1] + 1), d[i - 1, j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1));
                if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1])
                {
                    d[i, j] = Math.Min(d[i, j], d[i - 2, j - 2] + 1);
                }
            }
        }

        return d[a.Length, b.Length];
    }

    private static string? Rule(Type type) =>
        type.IsEnum ? $"it must be one of {string.Join(", ", Enum.GetNames(type))}"
        : type == typeof(int) || type == typeof(long) ? "it must be a whole number"
        : type == typeof(double) ? "it must be a number, e.g. 1.5"
        : type == typeof(bool) ? "it must be true or false"
        : type == typeof(TimeSpan) ? "it must be a duration as hh:mm:ss, e.g. \"00:00:30\" (a bare number would mean days)"
        : null;

    /// <summary>
    /// The conversion the configuration binder makes, except that a duration needs a ':'. The
    /// binder reads "20" as 20 days, where whoever wrote it almost surely meant seconds.
    /// </summary>
    private static bool Converts(Type type, string value)
    {
        if (type == typeof(TimeSpan) && !value.Contains(':', StringComparison.Ordinal))
        {
            return false;
        }

        try
        {
            TypeDescriptor.GetConverter(type).ConvertFromInvariantString(value);
            return true;
        }
        catch (Exception ex) when (ex is FormatException or ArgumentException or NotSupportedException or OverflowException)
        {
            return false;
        }
    }
}
