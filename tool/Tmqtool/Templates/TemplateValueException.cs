using Tmqtool.Validation;

namespace Tmqtool.Templates;

/// <summary>
/// A value reached a template that cannot be written safely into its file. Validation should have
/// stopped it first, so this is a bug in the tool, reported as an unexpected failure.
/// </summary>
internal sealed class TemplateValueException : Exception
{
    internal TemplateValueException(string value, string target)
        : base($"The value {Display.Quote(value)} cannot be written safely as {target}; validation should have refused it. Please report this.")
    {
    }
}
