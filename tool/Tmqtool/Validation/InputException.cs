using System.Globalization;

namespace Tmqtool.Validation;

/// <summary>
/// A command-line value broke a rule. The message names the value, the rule and the fix
/// (STYLE.md rule 9); the verb maps it to <see cref="ExitCodes.InvalidInput"/>.
/// </summary>
internal sealed class InputException : Exception
{
    internal InputException(string problem, string rule, string fix)
        : base($"{problem}{Environment.NewLine}  rule: {rule}{Environment.NewLine}  fix:  {fix}")
    {
        Problem = problem;
        Rule = rule;
        Fix = fix;
    }

    /// <summary>What is wrong, naming the option and its value.</summary>
    internal string Problem { get; }

    /// <summary>The rule the value broke.</summary>
    internal string Rule { get; }

    /// <summary>What to do instead.</summary>
    internal string Fix { get; }

    /// <summary>The error for an option that has no value.</summary>
    internal static InputException Missing(string option, string rule, string fix) =>
        new($"{option} is required.", rule, fix);

    /// <summary>Refuses a number outside <paramref name="min"/>..<paramref name="max"/>.</summary>
    internal static void CheckRange(string option, int value, int min, int max, string fix)
    {
        if (value < min || value > max)
        {
            throw new InputException(
                $"{option} {value.ToString(CultureInfo.InvariantCulture)} is out of range.",
                string.Create(CultureInfo.InvariantCulture, $"a whole number from {min} to {max}"),
                fix);
        }
    }

    /// <summary>The error for a value that breaks <paramref name="rule"/>; explains a non-ASCII character if there is one.</summary>
    internal static InputException Invalid(string option, string value, string what, string rule, string fix)
    {
        var problem = $"{option} {Display.Quote(value)} is not a valid {what}";
        var odd = Display.FirstNonAscii(value);
        problem += odd is null ? "." : $": it contains {odd}.";
        return new InputException(problem, rule, fix);
    }
}
