namespace Tmqtool.Scaffolding;

/// <summary>A file <c>tmqtool new</c> writes: rendered text, or a copy of a bundled package.</summary>
/// <param name="RelativePath">Its path under the output folder, with '/' separators.</param>
/// <param name="Text">The rendered content, or null for a copy.</param>
/// <param name="CopyFrom">The file to copy, or null for rendered text.</param>
internal sealed record GeneratedFile(string RelativePath, string? Text, string? CopyFrom)
{
    internal static GeneratedFile Rendered(string relativePath, string text) => new(relativePath, text, null);

    internal static GeneratedFile Copy(string relativePath, string source) => new(relativePath, null, source);
}
