using System.Text;

namespace Tmqtool.Tests.Support;

/// <summary>
/// Compares a generated tree with Golden/&lt;case&gt;/, where every file is stored with a ".golden"
/// suffix (so that no stored .cs or .csproj takes part in a build). TMQ_UPDATE_GOLDEN=1 rewrites
/// the stored tree instead of comparing.
/// </summary>
internal static class Golden
{
    internal const string UpdateVariable = "TMQ_UPDATE_GOLDEN";
    internal const string Suffix = ".golden";

    internal static void Verify(string caseName, string generatedRoot)
    {
        var expectedRoot = Path.Combine(RepositoryPaths.Golden, caseName);
        var actual = ReadTree(generatedRoot, suffix: "");
        if (Environment.GetEnvironmentVariable(UpdateVariable) == "1")
        {
            Write(expectedRoot, actual);
            return;
        }

        var expected = ReadTree(expectedRoot, Suffix);
        var problems = new StringBuilder();
        foreach (var missing in expected.Keys.Except(actual.Keys))
        {
            problems.AppendLine($"{missing}: expected but not generated");
        }

        foreach (var extra in actual.Keys.Except(expected.Keys))
        {
            problems.AppendLine($"{extra}: generated but not in the snapshot");
        }

        foreach (var path in expected.Keys.Intersect(actual.Keys))
        {
            if (FirstDifference(expected[path], actual[path]) is { } difference)
            {
                problems.AppendLine($"{path}:{difference}");
            }
        }

        Assert.True(
            problems.Length == 0,
            $"The generated tree differs from Golden/{caseName} (run with {UpdateVariable}=1 to accept the new output, then review the diff):\n{problems}");
    }

    /// <summary>" line 12: expected '...' but was '...'", or null when equal.</summary>
    internal static string? FirstDifference(string expected, string actual)
    {
        var expectedLines = expected.Split('\n');
        var actualLines = actual.Split('\n');
        for (var i = 0; i < Math.Max(expectedLines.Length, actualLines.Length); i++)
        {
            var e = i < expectedLines.Length ? expectedLines[i] : "<end of file>";
            var a = i < actualLines.Length ? actualLines[i] : "<end of file>";
            if (!string.Equals(e, a, StringComparison.Ordinal))
            {
                return $"{i + 1}: expected\n    {e}\n  but was\n    {a}";
            }
        }

        return null;
    }

    private static SortedDictionary<string, string> ReadTree(string root, string suffix)
    {
        var files = new SortedDictionary<string, string>(StringComparer.Ordinal);
        if (!Directory.Exists(root))
        {
            return files;
        }

        foreach (var file in Directory.EnumerateFiles(root, "*", SearchOption.AllDirectories))
        {
            var relative = Path.GetRelativePath(root, file).Replace('\\', '/');
            if (relative.EndsWith(suffix, StringComparison.Ordinal))
            {
                // Normalised so that a CRLF checkout of the snapshots still compares equal.
                files[relative[..^suffix.Length]] = File.ReadAllText(file).Replace("\r\n", "\n", StringComparison.Ordinal);
            }
        }

        return files;
    }

    private static void Write(string root, SortedDictionary<string, string> files)
    {
        if (Directory.Exists(root))
        {
            Directory.Delete(root, recursive: true);
        }

        foreach (var (relative, text) in files)
        {
            var path = Path.Combine(root, relative + Suffix);
            Directory.CreateDirectory(Path.GetDirectoryName(path)!);
            File.WriteAllText(path, text, new UTF8Encoding(encoderShouldEmitUTF8Identifier: false));
        }
    }
}
