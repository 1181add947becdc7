using System.CommandLine;
using System.CommandLine.Help;
using System.CommandLine.Invocation;

namespace Tmqtool;

/// <summary>The standard help, followed by the examples of the command asked about.</summary>
internal sealed class HelpWithExamplesAction(HelpAction standard, IReadOnlyDictionary<Command, string> examples) : SynchronousCommandLineAction
{
    /// <summary>Like the standard help: "tmqtool new --help" works without the required options.</summary>
    public override bool ClearsParseErrors => true;

    public override int Invoke(ParseResult parseResult)
    {
        ArgumentNullException.ThrowIfNull(parseResult);
        var exitCode = standard.Invoke(parseResult);
        if (examples.TryGetValue(parseResult.CommandResult.Command, out var text))
        {
            var output = parseResult.InvocationConfiguration.Output;
            output.WriteLine("Examples:");
            output.WriteLine(text);
            output.WriteLine();
        }

        return exitCode;
    }
}
