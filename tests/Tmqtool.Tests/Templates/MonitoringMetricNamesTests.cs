using System.Text.RegularExpressions;
using Tmqtool.Tests.Support;

namespace Tmqtool.Tests.Templates;

/// <summary>
/// The generated alert rules and dashboard query only series the runtime really exports: the
/// instruments of the "Tmq" meter (read from runtime/Tmq.Runtime/Telemetry/TmqMetrics.cs) named as
/// OpenTelemetry's Prometheus exporter names them, and only labels the runtime sets.
/// </summary>
public sealed partial class MonitoringMetricNamesTests
{
    public static TheoryData<string> MonitoringFiles()
    {
        var data = new TheoryData<string>();
        foreach (var file in Directory.EnumerateFiles(RepositoryPaths.Golden, "*.golden", SearchOption.AllDirectories)
                     .Where(f => f.Contains($"{Path.DirectorySeparatorChar}monitoring{Path.DirectorySeparatorChar}", StringComparison.Ordinal))
                     .Order(StringComparer.Ordinal))
        {
            data.Add(Path.GetRelativePath(RepositoryPaths.Golden, file));
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(MonitoringFiles))]
    public void Monitoring_QueriesOnlyExportedSeriesAndLabels(string goldenFile)
    {
        var text = File.ReadAllText(Path.Combine(RepositoryPaths.Golden, goldenFile)).Replace("\\\"", "\"", StringComparison.Ordinal);
        var series = ExportedSeries();
        var labels = RuntimeLabels();

        var queried = SeriesInQuery().Matches(text).Select(m => m.Groups[1].Value).Distinct().ToList();
        Assert.NotEmpty(queried);
        foreach (var name in queried)
        {
            Assert.True(series.Contains(name), $"{goldenFile} queries {name}, which the runtime does not export. Exported: {string.Join(", ", series.Order(StringComparer.Ordinal))}");
        }

        foreach (Match match in LabelInQuery().Matches(text))
        {
            var label = match.Groups[1].Success ? match.Groups[1].Value : match.Groups[2].Value;
            Assert.True(label == "le" || labels.Contains(label), $"{goldenFile} uses the label {label}, which the runtime does not set.");
        }
    }

    [Fact]
    public void ExportedSeries_FollowThePrometheusExportersNaming()
    {
        var series = ExportedSeries();

        Assert.Contains("tmq_consumer_outcomes_total", series);
        Assert.Contains("messaging_process_duration_seconds_bucket", series);
        Assert.Contains("tmq_consumer_in_flight", series);
        Assert.DoesNotContain("tmq_consumer_in_flight_messages", series);
    }

    /// <summary>The Prometheus series of every instrument: dots to underscores, "s" adds _seconds, braced units are dropped, counters (observable ones too) end in _total.</summary>
    private static HashSet<string> ExportedSeries()
    {
        var source = File.ReadAllText(Path.Combine(RepositoryPaths.Root, "runtime", "Tmq.Runtime", "Telemetry", "TmqMetrics.cs"));
        var series = new HashSet<string>(StringComparer.Ordinal);
        foreach (Match match in Instrument().Matches(source))
        {
            var name = match.Groups["name"].Value.Replace('.', '_');
            if (match.Groups["unit"].Value == "s")
            {
                name += "_seconds";
            }

            switch (match.Groups["kind"].Value)
            {
                case "Counter" or "ObservableCounter":
                    series.Add(name + "_total");
                    break;
                case "Histogram":
                    series.UnionWith([name + "_bucket", name + "_count", name + "_sum"]);
                    break;
                default:
                    series.Add(name);
                    break;
            }
        }

        Assert.True(series.Count >= 10, "TmqMetrics.cs no longer reads as expected; update this test's pattern.");
        return series;
    }

    private static HashSet<string> RuntimeLabels()
    {
        var labels = new HashSet<string>(StringComparer.Ordinal);
        foreach (var file in Directory.EnumerateFiles(Path.Combine(RepositoryPaths.Root, "runtime"), "*.cs", SearchOption.AllDirectories))
        {
            foreach (Match match in TagKey().Matches(File.ReadAllText(file)))
            {
                labels.Add(match.Groups[1].Value.Replace('.', '_'));
            }
        }

        return labels;
    }

    [GeneratedRegex("""Create(?<kind>Counter|ObservableCounter|Histogram|ObservableGauge)(?:<[a-z]+>)?\(\s*"(?<name>[a-z._]+)"[^"]*"(?<unit>[^"]*)"(?x)""")]
    private static partial Regex Instrument();

    [GeneratedRegex("""\b((?:tmq|messaging)_[a-z0-9_]+)\{""")]
    private static partial Regex SeriesInQuery();

    [GeneratedRegex("""\b((?:tmq|messaging|error|server)_[a-z0-9_]+|le)\s*=\s*"|by \(([a-z_]+)\)""")]
    private static partial Regex LabelInQuery();

    [GeneratedRegex("""[({]\s*"((?:tmq|messaging|error|server)\.[a-z._]+)"\s*,""")]
    private static partial Regex TagKey();
}
