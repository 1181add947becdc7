using System.Text.RegularExpressions;
using Fluid;
using Tmqtool.Templates;

namespace Tmqtool.Tests.Templates;

/// <summary>Rules every template keeps, checked on the sources embedded in the tool.</summary>
public sealed partial class TemplateLintTests
{
    [Fact]
    public void EveryOutputTag_EndsInAnEscapeFilter()
    {
        var problems = new List<string>();
        foreach (var (path, source) in TemplateCatalog.ReadSources("mqserver"))
        {
            foreach (Match output in OutputTag().Matches(source))
            {
                var lastFilter = output.Groups["body"].Value.Split('|').Last().Trim().Split(':')[0].Trim();
                if (!output.Groups["body"].Value.Contains('|', StringComparison.Ordinal) || !TemplateRenderer.EscapeFilters.ContainsKey(lastFilter))
                {
                    problems.Add($"{path}: {output.Value}");
                }
            }
        }

        Assert.True(problems.Count == 0, "Output tags without an escape filter last:\n" + string.Join('\n', problems));
    }

    [Fact]
    public void Catalog_HasTheFilesOfAWorkerService()
    {
        var paths = TemplateCatalog.MqServer.Files.Select(f => f.Path).ToList();

        Assert.Contains("src/__Name__/__Name__.csproj.liquid", paths);
        Assert.Contains("src/__Name__/MessageHandler.cs.liquid", paths);
        Assert.Contains("src/__Name__/Program.cs.liquid", paths);
        Assert.Contains("tests/__Name__.Tests/MessageHandlerTests.cs.liquid", paths);
        Assert.Contains("Dockerfile.liquid", paths);
        Assert.Contains("dot-gitignore.liquid", paths);
    }

    [Fact]
    public void Catalog_IsParsedOnce()
    {
        Assert.Same(TemplateCatalog.MqServer, TemplateCatalog.MqServer);
    }

    [Fact]
    public void Render_UnknownVariableOrFilter_Throws()
    {
        var parser = new FluidParser();
        var model = new Dictionary<string, object> { ["name"] = "X" };

        Assert.ThrowsAny<Exception>(() => TemplateRenderer.Render(parser.Parse("{{ nmae | json }}"), model));
        Assert.ThrowsAny<Exception>(() => TemplateRenderer.Render(parser.Parse("{{ name | jsno }}"), model));
        Assert.Equal("\"X\"", TemplateRenderer.Render(parser.Parse("{{ name | json }}"), model));
    }

    [GeneratedRegex(@"\{\{-?(?<body>.*?)-?\}\}", RegexOptions.Singleline)]
    private static partial Regex OutputTag();
}
