using Fluid;
using Fluid.Values;

namespace Tmqtool.Templates;

/// <summary>
/// Renders templates against a flat model of strings and booleans. Every output tag must end in
/// one of <see cref="EscapeFilters"/> (a test enforces it); unknown variables and filters throw
/// instead of rendering as empty.
/// </summary>
internal static class TemplateRenderer
{
    /// <summary>The filters that make a value safe for the file it lands in.</summary>
    internal static readonly IReadOnlyDictionary<string, Func<string, string>> EscapeFilters =
        new Dictionary<string, Func<string, string>>(StringComparer.Ordinal)
        {
            ["cs"] = Escape.CSharpString,
            ["cs_ns"] = Escape.CSharpNamespace,
            ["json"] = Escape.Json,
            ["xml"] = Escape.Xml,
            ["yaml"] = Escape.Yaml,
            ["md"] = Escape.Markdown,
            ["md_code"] = Escape.MarkdownCode,
            ["sh"] = Escape.Shell,
            ["promql"] = Escape.PromQl,
        };

    private static readonly TemplateOptions Options = CreateOptions();

    internal static string Render(IFluidTemplate template, IReadOnlyDictionary<string, object> model)
    {
        var context = new TemplateContext(Options);
        foreach (var (key, value) in model)
        {
            context.SetValue(key, value switch
            {
                string s => new StringValue(s, encode: false),
                bool b => BooleanValue.Create(b),
                _ => throw new ArgumentException($"Model value '{key}' is a {value.GetType().Name}; only strings and booleans are supported.", nameof(model)),
            });
        }

        return template.Render(context, NullEncoder.Default);
    }

    private static TemplateOptions CreateOptions()
    {
        var options = new TemplateOptions { StrictVariables = true, StrictFilters = true };
        foreach (var (name, escape) in EscapeFilters)
        {
            options.Filters.AddFilter(name, (input, _, _) => new StringValue(escape(input.ToStringValue()), encode: false));
        }

        return options;
    }
}
