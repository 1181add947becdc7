using System.Text.RegularExpressions;

namespace Tmqtool.Validation;

/// <summary>
/// The project name: the C# root namespace, the assembly name, the file names of the projects and
/// the folder they live in. Kept to what is safe in all four.
/// </summary>
internal static partial class ProjectName
{
    internal const string Option = "--name";
    internal const int MaxLength = 100;

    internal const string Rule =
        "a C# namespace of ASCII letters, digits and '_', segments separated by '.' each starting with a letter, no C# keyword as a segment, at most 100 characters";

    private const string Example = "e.g. --name Shop.Orders.Consumer";

    /// <summary>
    /// Segments that would shadow a namespace or type the generated code names. Inside
    /// <c>namespace Shop.Task.Worker</c>, <c>Task</c> means the namespace <c>Shop.Task</c> before any
    /// using directive is looked at, so the generated handler would not build (and inside
    /// <c>namespace Shop.System</c>, <c>System.Text</c> means <c>Shop.System.Text</c>). Every simple
    /// name the generated C# looks up is here; a test reads the golden files to keep it so.
    /// </summary>
    internal static readonly IReadOnlySet<string> Reserved = new HashSet<string>(StringComparer.Ordinal)
    {
        "System", "Microsoft", "Tmq", "Xunit", "OpenTelemetry", "Program",
        "MessageHandler", "MessageHandlerTests", "IMessageHandler", "TmqMessage", "PermanentFailureException",
        "InMemoryConsumer", "ConsumerOptions", "Task", "CancellationToken", "TimeSpan", "ArgumentNullException", "Exception", "Environment",
        "ILogger", "LoggerMessage", "LogLevel", "NullLogger", "Host", "Assert", "Fact", "ActivityTrackingOptions",
    };

    /// <summary>Device names Windows refuses as the first part of a file name (CON.csproj cannot exist).</summary>
    private static readonly HashSet<string> WindowsDevices = new(StringComparer.OrdinalIgnoreCase)
    {
        "CON", "PRN", "AUX", "NUL",
        "COM1", "COM2", "COM3", "COM4", "COM5", "COM6", "COM7", "COM8", "COM9",
        "LPT1", "LPT2", "LPT3", "LPT4", "LPT5", "LPT6", "LPT7", "LPT8", "LPT9",
    };

    /// <param name="value">The name to check.</param>
    /// <param name="derivedFrom">The PSM the name was derived from, when no --name was given.</param>
    internal static string Validate(string value, string? derivedFrom = null)
    {
        if (value.Length == 0)
        {
            throw InputException.Missing(Option, Rule, Example + ", or leave it out to derive it from --psm");
        }

        var problem = FindProblem(value);
        if (problem is null)
        {
            return value;
        }

        if (derivedFrom is not null)
        {
            throw new InputException(
                $"The project name {Display.Quote(value)} derived from --psm {Display.Quote(derivedFrom)} cannot be used: {problem}.",
                Rule,
                "pass a name of your own, " + Example);
        }

        throw new InputException($"{Option} {Display.Quote(value)} is not a valid project name: {problem}.", Rule, Example);
    }

    private static string? FindProblem(string value)
    {
        if (value.Length > MaxLength)
        {
            return $"it has {value.Length} characters";
        }

        if (Display.FirstNonAscii(value) is { } odd)
        {
            return "it contains " + odd;
        }

        var segments = value.Split('.');
        foreach (var segment in segments)
        {
            if (!Segment().IsMatch(segment))
            {
                return segment.Length == 0
                    ? "it has an empty segment (a leading, trailing or doubled '.')"
                    : $"the segment {Display.Quote(segment)} is not an identifier that starts with a letter";
            }

            if (CSharpKeywords.Contains(segment))
            {
                return $"the segment {Display.Quote(segment)} is a C# keyword";
            }

            if (Reserved.Contains(segment))
            {
                return $"the segment {Display.Quote(segment)} would hide the namespace or type of the same name that the generated code uses";
            }
        }

        return WindowsDevices.Contains(segments[0])
            ? $"{Display.Quote(segments[0])} is a device name that Windows refuses as a file name"
            : null;
    }

    [GeneratedRegex(@"\A[A-Za-z][A-Za-z0-9_]*\z", RegexOptions.CultureInvariant)]
    private static partial Regex Segment();
}
