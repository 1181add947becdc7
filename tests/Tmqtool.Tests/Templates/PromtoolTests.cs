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

/// <summary>
/// The generated alert rules' unit tests (monitoring/prometheus-alerts.test.yaml) pass under
/// <c>promtool test rules</c>, and they hold every alert both ways: with one alert's expression
/// made never true, or always true, they fail and name that alert. So each shipped alert is shown
/// firing on synthetic series and quiet on a healthy service, for the Kafka and the NSQ variants.
/// </summary>
public sealed partial class PromtoolRuleTests
{
    public static TheoryData<string> Variants()
    {
        var data = new TheoryData<string>();
        foreach (var file in Directory.EnumerateFiles(RepositoryPaths.Golden, "prometheus-alerts.test.yaml.golden", SearchOption.AllDirectories).Order(StringComparer.Ordinal))
        {
            data.Add(Path.GetRelativePath(RepositoryPaths.Golden, Path.GetDirectoryName(Path.GetDirectoryName(file))!));
        }

        return data;
    }

    [PromtoolTheory]
    [MemberData(nameof(Variants))]
    public void GeneratedAlertTests_PassPromtool(string variant)
    {
        using var directory = new TempDirectory();
        var rules = ReadRules(variant);

        var (exitCode, output) = TestRules(directory, variant, rules);

        Assert.True(exitCode == 0, $"promtool test rules failed for {variant}:\n{output}");
        Assert.Contains("SUCCESS", output, StringComparison.Ordinal);
    }

    [PromtoolTheory]
    [MemberData(nameof(Variants))]
    public void GeneratedAlertTests_FailForAnAlertThatNeverFires(string variant)
    {
        using var directory = new TempDirectory();
        var rules = ReadRules(variant);
        var alerts = AlertNames(rules);
        Assert.True(alerts.Count >= 7, $"{variant}: only {alerts.Count} alerts read from the rules; this test's pattern no longer matches them.");

        foreach (var alert in alerts)
        {
            var (exitCode, output) = TestRules(directory, variant, ReplaceExpression(rules, alert, "vector(0) > 1"));

            Assert.True(exitCode != 0, $"{variant}: with {alert} never firing, promtool test rules still passed: no test shows it firing.\n{output}");
            Assert.Contains($"alertname: {alert}", output, StringComparison.Ordinal);
        }
    }

    [PromtoolTheory]
    [MemberData(nameof(Variants))]
    public void GeneratedAlertTests_FailForAnAlertThatAlwaysFires(string variant)
    {
        using var directory = new TempDirectory();
        var rules = ReadRules(variant);

        foreach (var alert in AlertNames(rules))
        {
            var (exitCode, output) = TestRules(directory, variant, ReplaceExpression(rules, alert, "vector(1)"));

            Assert.True(exitCode != 0, $"{variant}: with {alert} always firing, promtool test rules still passed: no test shows it quiet.\n{output}");
            Assert.Contains($"alertname: {alert}", output, StringComparison.Ordinal);
        }
    }

    private static string ReadRules(string variant) =>
        File.ReadAllText(Path.Combine(RepositoryPaths.Golden, variant, "monitoring", "prometheus-alerts.yaml.golden"));

    private static (int ExitCode, string Output) TestRules(TempDirectory directory, string variant, string rules)
    {
        File.WriteAllText(directory.Combine("prometheus-alerts.yaml"), rules);
        var tests = directory.Combine("prometheus-alerts.test.yaml");
        File.Copy(Path.Combine(RepositoryPaths.Golden, variant, "monitoring", "prometheus-alerts.test.yaml.golden"), tests, overwrite: true);
        return ProcessRunner.Run(PromtoolTheoryAttribute.Promtool!, ["test", "rules", tests], directory.Path, TimeSpan.FromMinutes(1));
    }

    private static List<string> AlertNames(string rules) =>
        [.. Alert().Matches(rules).Select(static m => m.Groups[1].Value)];

    /// <summary>The rules with <paramref name="alert"/>'s expression (the line after its name) replaced.</summary>
    private static string ReplaceExpression(string rules, string alert, string expression)
    {
        var lines = rules.Split('\n');
        var at = Array.FindIndex(lines, line => line.Trim() == $"- alert: {alert}");
        Assert.True(at >= 0 && lines[at + 1].TrimStart().StartsWith("expr: ", StringComparison.Ordinal), $"{alert}'s expression is not on the line after its name.");
        lines[at + 1] = lines[at + 1][..lines[at + 1].IndexOf("expr: ", StringComparison.Ordinal)] + $"expr: \"{expression}\"";
        return string.Join('\n', lines);
    }

    [System.Text.RegularExpressions.GeneratedRegex(@"^\s*- alert: (\w+)\s*$", System.Text.RegularExpressions.RegexOptions.Multiline)]
    private static partial System.Text.RegularExpressions.Regex Alert();
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
