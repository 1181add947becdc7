using System.Text;
using Tmqtool.Validation;

namespace Tmqtool.Scaffolding;

/// <summary>
/// Writes generated files under one folder and nowhere else. Everything is checked before the
/// first byte is written: the folder is empty (or --force), every path stays inside it, and no
/// existing link inside it could redirect a write elsewhere.
/// </summary>
internal static class OutputWriter
{
    private static readonly UTF8Encoding Utf8NoBom = new(encoderShouldEmitUTF8Identifier: false);

    private static readonly StringComparison PathComparison =
        OperatingSystem.IsWindows() || OperatingSystem.IsMacOS() ? StringComparison.OrdinalIgnoreCase : StringComparison.Ordinal;

    /// <summary>Checks the folder and resolves each file's absolute path; throws <see cref="InputException"/>.</summary>
    internal static IReadOnlyList<string> Plan(string root, IReadOnlyList<GeneratedFile> files, bool force)
    {
        CheckRoot(root, force);
        var rootWithSeparator = Path.EndsInDirectorySeparator(root) ? root : root + Path.DirectorySeparatorChar;
        var paths = new List<string>(files.Count);
        foreach (var file in files)
        {
            var full = Path.GetFullPath(Path.Combine(root, file.RelativePath));
            if (Path.IsPathRooted(file.RelativePath) || !full.StartsWith(rootWithSeparator, PathComparison))
            {
                throw new InputException(
                    $"Refusing to write {Display.Quote(file.RelativePath)}: it resolves outside the output folder.",
                    "tmqtool new writes only inside the output folder",
                    "use a project name without path characters");
            }

            if (force)
            {
                CheckNoLinks(rootWithSeparator, full);
            }

            paths.Add(full);
        }

        return paths;
    }

    /// <summary>Writes every file (UTF-8 without BOM, '\n' line endings as rendered).</summary>
    internal static void Write(IReadOnlyList<GeneratedFile> files, IReadOnlyList<string> paths)
    {
        for (var i = 0; i < files.Count; i++)
        {
            Directory.CreateDirectory(Path.GetDirectoryName(paths[i])!);
            if (files[i].Text is { } text)
            {
                File.WriteAllText(paths[i], text, Utf8NoBom);
            }
            else
            {
                // Bytes, not File.Copy: the copy should get ordinary permissions, not the tool store's.
                File.WriteAllBytes(paths[i], File.ReadAllBytes(files[i].CopyFrom!));
            }
        }
    }

    private static void CheckRoot(string root, bool force)
    {
        const string Rule = "the output folder must be empty or not exist yet, unless --force is given";
        if (File.Exists(root))
        {
            throw new InputException($"The output path {Display.Quote(root)} is a file.", Rule, "choose another folder with -o <folder>");
        }

        if (!force && Directory.Exists(root) && Directory.EnumerateFileSystemEntries(root).Any())
        {
            throw new InputException(
                $"The output folder {Display.Quote(root)} is not empty.",
                Rule,
                "choose another folder with -o <folder>, or pass --force to overwrite the generated files (other files are left alone)");
        }
    }

    /// <summary>With --force the folder may hold links planted to redirect a write; refuse to follow any.</summary>
    private static void CheckNoLinks(string rootWithSeparator, string full)
    {
        var current = full;
        while (current.Length > rootWithSeparator.Length)
        {
            // FileInfo sees a link whether its target is a file, a folder or missing (a dangling link would create the target).
            var info = new FileInfo(current);
            if (info.LinkTarget is not null)
            {
                throw new InputException(
                    $"Refusing to write through the link {Display.Quote(current)} (it points to {Display.Quote(info.LinkTarget)}).",
                    "with --force, tmqtool new never follows links inside the output folder",
                    "remove the link, or generate into an empty folder");
            }

            current = Path.GetDirectoryName(current)!;
        }
    }
}
