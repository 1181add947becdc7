namespace Tmqtool.Tests.Support;

/// <summary>
/// A test that builds or runs real projects (minutes, nuget.org for third-party packages). Slow
/// tests run by default, in CI too; set TMQ_SKIP_SLOW_TESTS=1 (or filter with
/// <c>--filter Category!=Slow</c>) for a quick local run. Mark such tests
/// <c>[Trait("Category", "Slow")]</c> too, so that the filter finds them.
/// </summary>
public sealed class SlowFactAttribute : FactAttribute
{
    internal const string SkipVariable = "TMQ_SKIP_SLOW_TESTS";

    private string? _requiresRepositoryFile;

    public SlowFactAttribute() => Skip = SkipReason;

    /// <summary>Why slow tests are skipped in this run, or null when they run.</summary>
    internal static string? SkipReason =>
        Environment.GetEnvironmentVariable(SkipVariable) == "1" ? $"Slow test, skipped because {SkipVariable}=1." : null;

    /// <summary>
    /// A path relative to the repository root that must exist for the test to run, e.g. the project
    /// of a transport that a later issue delivers. While it is missing the test is skipped with a
    /// reason that names it.
    /// </summary>
    public string? RequiresRepositoryFile
    {
        get => _requiresRepositoryFile;
        set
        {
            _requiresRepositoryFile = value;
            if (Skip is null && value is not null && !File.Exists(Path.Combine(RepositoryPaths.Root, value)))
            {
                Skip = $"{value} does not exist in this repository yet, so this test cannot run.";
            }
        }
    }
}

/// <summary>A slow theory (see <see cref="SlowFactAttribute"/>): each row builds or runs real projects.</summary>
public sealed class SlowTheoryAttribute : TheoryAttribute
{
    public SlowTheoryAttribute() => Skip = SlowFactAttribute.SkipReason;
}
