using Tmqtool.Packaging;
using Tmqtool.Templates;

namespace Tmqtool.Scaffolding;

/// <summary>Turns validated settings into the files of a generated service, in memory.</summary>
internal static class Scaffolder
{
    private const string NamePlaceholder = "__Name__";

    /// <summary>A path segment starting with "dot-" becomes a dotfile (".gitignore" in templates/ would act on this repository).</summary>
    private const string DotPrefix = "dot-";

    /// <summary>Only generated when the project restores from its own copy of the bundled packages.</summary>
    private const string LocalFeedReadme = "dot-tmq-feed/README.md.liquid";

    internal static IReadOnlyList<GeneratedFile> Render(ScaffoldSettings settings)
    {
        var model = CreateModel(settings);
        var files = new List<GeneratedFile>();
        foreach (var template in TemplateCatalog.MqServer.Files)
        {
            if (template.Path == LocalFeedReadme && settings.Feed.Kind != PackageFeedKind.Bundled)
            {
                continue;
            }

            files.Add(GeneratedFile.Rendered(OutputPath(template.Path, settings.Name), TemplateRenderer.Render(template.Template, model)));
        }

        foreach (var package in BundledPackages(settings).Found)
        {
            files.Add(GeneratedFile.Copy(PackageFeed.LocalFolder + "/" + Path.GetFileName(package), package));
        }

        files.Sort((a, b) => string.CompareOrdinal(a.RelativePath, b.RelativePath));
        return files;
    }

    /// <summary>The Tmq packages the generated project needs from the tool's bundle, found and missing.</summary>
    internal static (IReadOnlyList<string> Found, IReadOnlyList<string> Missing) BundledPackages(ScaffoldSettings settings) =>
        settings.Feed.Kind == PackageFeedKind.Bundled
            ? settings.Feed.FindBundled(["Tmq.Runtime", TransportPackage(settings.MqType)], settings.Versions.Tmq)
            : ([], []);

    internal static string TransportPackage(MqType type) => type == MqType.Kafka ? "Tmq.Kafka" : "Tmq.Nsq";

    /// <summary>"src/__Name__/__Name__.csproj.liquid" becomes "src/Shop.Orders/Shop.Orders.csproj".</summary>
    internal static string OutputPath(string templatePath, string name)
    {
        var path = templatePath[..^TemplateCatalog.Extension.Length].Replace(NamePlaceholder, name, StringComparison.Ordinal);
        var segments = path.Split('/');
        for (var i = 0; i < segments.Length; i++)
        {
            if (segments[i].StartsWith(DotPrefix, StringComparison.Ordinal))
            {
                segments[i] = "." + segments[i][DotPrefix.Length..];
            }
        }

        return string.Join('/', segments);
    }

    /// <summary>The variables templates see. Every one is listed in templates/mqserver/README.md.</summary>
    internal static Dictionary<string, object> CreateModel(ScaffoldSettings settings)
    {
        var kafka = settings.MqType == MqType.Kafka;
        return new Dictionary<string, object>(StringComparer.Ordinal)
        {
            ["name"] = settings.Name,
            ["project_dir"] = $"src/{settings.Name}/",
            ["project_path"] = $"src/{settings.Name}/{settings.Name}.csproj",
            ["tests_project_path"] = $"tests/{settings.Name}.Tests/{settings.Name}.Tests.csproj",
            ["dll"] = settings.Name + ".dll",
            ["image"] = settings.Name.ToLowerInvariant(),
            ["psm"] = settings.Psm,
            ["topic"] = settings.Topic,
            ["group"] = settings.Group,
            ["kafka"] = kafka,
            ["nsq"] = !kafka,
            ["mq_display"] = kafka ? "Kafka" : "NSQ",
            ["transport_package"] = TransportPackage(settings.MqType),
            ["dead_letter_topic"] = settings.EffectiveDeadLetterTopic,
            ["dead_letter_topic_explicit"] = settings.DeadLetterTopic is not null,
            ["feed"] = settings.Feed.Source,
            ["feed_bundled"] = settings.Feed.Kind == PackageFeedKind.Bundled,
            ["feed_folder"] = settings.Feed.Kind == PackageFeedKind.Folder,
            ["feed_url"] = settings.Feed.Kind == PackageFeedKind.Url,
            ["tmq_version"] = settings.Versions.Tmq,
            ["repository_url"] = settings.RepositoryUrl ?? string.Empty,
            ["repository"] = settings.RepositoryUrl is not null,
            ["hosting_version"] = settings.Versions.Hosting,
            ["test_sdk_version"] = settings.Versions.TestSdk,
            ["xunit_version"] = settings.Versions.Xunit,
            ["xunit_runner_version"] = settings.Versions.XunitRunner,
            ["opentelemetry_version"] = settings.Versions.OpenTelemetry,
            ["otlp_exporter_version"] = settings.Versions.OtlpExporter,
            ["prometheus_exporter_version"] = settings.Versions.PrometheusExporter,
        };
    }
}
