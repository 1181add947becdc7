using System.Reflection;

namespace Tmqtool.Tests.Support;

/// <summary>Source-tree locations, recorded at build time (see Tmqtool.Tests.csproj).</summary>
internal static class RepositoryPaths
{
    internal static string TestProject { get; } =
        typeof(RepositoryPaths).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>()
            .Single(a => a.Key == "TestProjectDirectory").Value!;

    internal static string Golden => Path.Combine(TestProject, "Golden");

    internal static string Root => Path.GetFullPath(Path.Combine(TestProject, "..", ".."));
}
