namespace Tmqtool.Tests.Support;

/// <summary>Runs tmqtool in-process with captured output against a fixed environment.</summary>
internal static class TestCli
{
    /// <summary>Versions fixed for the tests, so that snapshots do not change with the repository's versions.</summary>
    internal static readonly PackageVersions Versions = new("1.2.3", "10.0.0", "18.0.0", "2.9.3", "3.1.5", "1.20.1", "1.20.1-beta.1", "1.20.1");

    internal static CliResult Run(string workingDirectory, params string[] args) =>
        Run(new CliEnvironment(workingDirectory, Versions, BundledFeedDirectory: null), args);

    internal static CliResult Run(CliEnvironment environment, params string[] args)
    {
        using var output = new StringWriter();
        using var error = new StringWriter();
        var exitCode = Cli.Run(args, output, error, environment);
        return new CliResult(exitCode, output.ToString(), error.ToString());
    }
}

/// <summary>What one run printed and returned.</summary>
internal sealed record CliResult(int ExitCode, string Output, string Error)
{
    public override string ToString() => $"exit {ExitCode}\n--- stdout\n{Output}\n--- stderr\n{Error}";
}
