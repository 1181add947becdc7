using Tmqtool.Tests.Support;

namespace Tmqtool.Tests.Templates;

/// <summary>
/// The generated alert rules load in Prometheus: <c>promtool check rules</c> (Prometheus's own
/// parser, a peer not written here) accepts every generated rules file, PromQL included.
/// </summary>
public sealed class PromtoolTests
{
    public static TheoryData<string> RuleFiles()
    {
        var data = new TheoryData<string>();
        foreach (var file in Directory.EnumerateFiles(RepositoryPaths.Golden, "prometheus-alerts.yaml.golden", SearchOption.AllDirectories).Order(StringComparer.Ordinal))
        {
            data.Add(Path.GetRelativePath(RepositoryPaths.Golden, file));
        }

        return data;
    }

    [PromtoolTheory]
    [MemberData(nameof(RuleFiles))]
    public void GeneratedAlertRules_PassPromtoolCheck(string goldenFile)
    {
        using var directory = new TempDirectory();
        var rules = directory.Combine("rules.yaml");
        File.Copy(Path.Combine(RepositoryPaths.Golden, goldenFile), rules);

        var (exitCode, output) = ProcessRunner.Run(PromtoolTheoryAttribute.Promtool!, ["check", "rules", rules], directory.Path, TimeSpan.FromMinutes(1));

        Assert.True(exitCode == 0, $"promtool check rules refused {goldenFile}:\n{output}");
        Assert.Contains("SUCCESS", output, StringComparison.Ordinal);
    }
}

/// <summary>A theory that needs promtool (Debian's prometheus package; .ci/run installs it): skipped, saying so, where it is not on PATH.</summary>
public sealed class PromtoolTheoryAttribute : TheoryAttribute
{
    public PromtoolTheoryAttribute()
    {
        if (Promtool is null)
        {
            Skip = "promtool is not on PATH: install it (apt-get install prometheus) to check the generated alert rules with Prometheus's own parser.";
        }
    }

    internal static string? Promtool { get; } = (Environment.GetEnvironmentVariable("PATH") ?? string.Empty)
        .Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries)
        .Select(static folder => Path.Combine(folder, "promtool"))
        .FirstOrDefault(File.Exists);
}
