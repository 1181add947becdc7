using System.ComponentModel;
using System.Reflection;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Options;

namespace Tmq;

/// <summary>
/// Checks that every value under an options section converts to its property's type, before the
/// configuration binder sees it (and that a duration is written with a ':'). The binder's own
/// error ("Failed to convert configuration value 'Random' at '...:Ordering' to type
/// 'Tmq.OrderingMode'") names neither the valid values nor the fix, and it stops at the first bad value.
/// </summary>
internal static class ConfigurationTypeCheck
{
    /// <summary>Throws an <see cref="OptionsValidationException"/> naming every value under <paramref name="path"/> that does not convert.</summary>
    public static void ThrowIfInvalid(IConfiguration configuration, string path, Type type, string name)
    {
        var errors = new List<string>();
        Check(configuration.GetSection(path), type, path, errors);
        if (errors.Count > 0)
        {
            throw new OptionsValidationException(name, type, errors);
        }
    }

    private static void Check(IConfigurationSection section, Type type, string path, List<string> errors)
    {
        foreach (var property in type.GetProperties(BindingFlags.Public | BindingFlags.Instance))
        {
            var child = section.GetSection(property.Name);
            var target = Nullable.GetUnderlyingType(property.PropertyType) ?? property.PropertyType;
            if (Rule(target) is { } rule)
            {
                if (child.Value is { Length: > 0 } value && !Converts(target, value))
                {
                    errors.Add(ConsumerOptionsValidator.Problem($"{path}:{property.Name}", $"is \"{value}\"; {rule}"));
                }
            }
            else if (target.IsClass && target.Namespace == typeof(ConsumerOptions).Namespace)
            {
                // A nested options class of the runtime's own, such as Retry or DeadLetter.
                Check(child, target, $"{path}:{property.Name}", errors);
            }
        }
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
