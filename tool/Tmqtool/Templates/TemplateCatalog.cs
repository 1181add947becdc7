using Fluid;

namespace Tmqtool.Templates;

/// <summary>
/// The embedded templates of one project type, read and parsed once per process.
/// Resource names are "templates/&lt;type&gt;/&lt;path&gt;.liquid" (see Tmqtool.csproj).
/// </summary>
internal sealed class TemplateCatalog
{
    internal const string Extension = ".liquid";
    private const string Root = "templates/";

    private static readonly Lazy<TemplateCatalog> MqServerCatalog = new(() => Load("mqserver"));

    private TemplateCatalog(IReadOnlyList<TemplateFile> files) => Files = files;

    /// <summary>The worker service scaffolded by <c>tmqtool new --type mqserver</c>.</summary>
    internal static TemplateCatalog MqServer => MqServerCatalog.Value;

    /// <summary>Every template, ordered by path.</summary>
    internal IReadOnlyList<TemplateFile> Files { get; }

    /// <summary>The text of every embedded template of <paramref name="type"/>, by path relative to its folder.</summary>
    internal static SortedDictionary<string, string> ReadSources(string type)
    {
        var assembly = typeof(TemplateCatalog).Assembly;
        var prefix = Root + type + "/";
        var sources = new SortedDictionary<string, string>(StringComparer.Ordinal);
        foreach (var resource in assembly.GetManifestResourceNames())
        {
            if (!resource.StartsWith(prefix, StringComparison.Ordinal) || !resource.EndsWith(Extension, StringComparison.Ordinal))
            {
                continue;
            }

            using var stream = assembly.GetManifestResourceStream(resource)!;
            using var reader = new StreamReader(stream);

            // A checkout with CRLF line endings must not change what is generated.
            sources[resource[prefix.Length..]] = reader.ReadToEnd().Replace("\r\n", "\n", StringComparison.Ordinal);
        }

        return sources;
    }

    private static TemplateCatalog Load(string type)
    {
        var parser = new FluidParser();
        var files = new List<TemplateFile>();
        foreach (var (path, source) in ReadSources(type))
        {
            if (!parser.TryParse(source, out var template, out var error))
            {
                throw new InvalidOperationException($"The embedded template {path} does not parse: {error}");
            }

            files.Add(new TemplateFile(path, template));
        }

        return files.Count == 0
            ? throw new InvalidOperationException($"No templates of type '{type}' are embedded in the tool.")
            : new TemplateCatalog(files);
    }
}

/// <summary>One parsed template.</summary>
/// <param name="Path">Its path under the type's folder, with "__Name__" placeholders and the ".liquid" extension.</param>
/// <param name="Template">The parsed template.</param>
internal sealed record TemplateFile(string Path, IFluidTemplate Template);
