using Microsoft.Extensions.Options;

namespace Tmq;

/// <summary>
/// A setting stops the service from starting (or a live change is refused): the message names each
/// setting, the rule it breaks and how to fix it. It is an <see cref="OptionsValidationException"/>,
/// so code that catches those catches this too.
/// </summary>
/// <remarks>
/// <see cref="ToString"/> is the type and the message, without a stack trace: the host logs a
/// failed start with the exception, and for a bad setting twenty lines of the options
/// pipeline's frames would bury the one line that says what to fix.
/// </remarks>
public sealed class TmqSettingsException : OptionsValidationException
{
    /// <summary>Creates the exception for the options named <paramref name="optionsName"/> of <paramref name="optionsType"/>.</summary>
    /// <param name="optionsName">The options' name (a consumer's name, or <see cref="Options.DefaultName"/>).</param>
    /// <param name="optionsType">The options class the settings bind to.</param>
    /// <param name="failureMessages">One message per problem, each naming the setting and the fix.</param>
    public TmqSettingsException(string optionsName, Type optionsType, IEnumerable<string> failureMessages)
        : base(optionsName, optionsType, failureMessages)
    {
    }

    /// <summary>Creates the exception for one problem.</summary>
    /// <param name="optionsName">The options' name (a consumer's name, or <see cref="Options.DefaultName"/>).</param>
    /// <param name="optionsType">The options class the settings bind to.</param>
    /// <param name="failureMessage">What is wrong, with the setting and the fix.</param>
    public TmqSettingsException(string optionsName, Type optionsType, string failureMessage)
        : base(optionsName, optionsType, [failureMessage])
    {
    }

    /// <summary>One failure per line. The base class joins them with "; ", and each already ends with a period.</summary>
    public override string Message => string.Join(Environment.NewLine, Failures);

    /// <summary>The type's name and the message, without a stack trace (see the remarks).</summary>
    /// <returns>For example <c>Tmq.TmqSettingsException: Tmq:Consumers:main:Concurency is not a setting; ...</c></returns>
    public override string ToString() => $"{GetType().FullName}: {Message}";
}
