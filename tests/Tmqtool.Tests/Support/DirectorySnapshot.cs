namespace Tmqtool.Tests.Support;

/// <summary>Every file and folder under a root with its content, to prove a command changed nothing.</summary>
internal static class DirectorySnapshot
{
    internal static SortedDictionary<string, string> Take(string root)
    {
        var entries = new SortedDictionary<string, string>(StringComparer.Ordinal);
        if (!Directory.Exists(root))
        {
            return entries;
        }

        foreach (var entry in Directory.EnumerateFileSystemEntries(root, "*", SearchOption.AllDirectories))
        {
            var relative = Path.GetRelativePath(root, entry).Replace('\\', '/');
            entries[relative] = Directory.Exists(entry) ? "<dir>" : Convert.ToBase64String(File.ReadAllBytes(entry));
        }

        return entries;
    }
}
