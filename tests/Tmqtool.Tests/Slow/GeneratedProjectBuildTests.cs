using Tmqtool.Tests.Support;

namespace Tmqtool.Tests.Slow;

/// <summary>
/// Generates each variant against runtime packages packed from this repository, then builds it
/// with warnings as errors and runs its own tests. Needs nuget.org for third-party packages.
/// </summary>
[Trait("Category", "Slow")]
public sealed class GeneratedProjectBuildTests
{
    private static readonly TimeSpan Limit = TimeSpan.FromMinutes(8);

    [SlowFact]
    public void Kafka_GeneratedProject_BuildsWithoutWarningsAndPassesItsTests() => BuildAndTest("kafka", "Tmq.Kafka");

    [SlowFact]
    public void Nsq_GeneratedProject_BuildsWithoutWarningsAndPassesItsTests() => BuildAndTest("nsq", "Tmq.Nsq");

    private static void BuildAndTest(string mqType, string transport)
    {
        using var work = new TempDirectory();
        var version = ProcessRunner.UniqueVersion("build");
        var feed = work.Combine("feed");
        var packages = new[] { "Tmq.Runtime", transport };
        foreach (var package in packages)
        {
            var project = Path.Combine(RepositoryPaths.Root, "runtime", package, package + ".csproj");
            Assert.True(File.Exists(project), $"{project} does not exist yet, so the {mqType} variant cannot be built.");
        }

        foreach (var package in packages)
        {
            var project = Path.Combine(RepositoryPaths.Root, "runtime", package, package + ".csproj");
            var pack = ProcessRunner.Run("dotnet", ["pack", project, "-c", "Release", "-o", feed, $"-p:Version={version}"], work.Path, Limit);
            Assert.True(pack.ExitCode == 0, $"dotnet pack {package} failed:\n{pack.Output}");
        }

        var environment = new CliEnvironment(work.Path, PackageVersions.FromAssembly(typeof(Cli).Assembly) with { Tmq = version }, null);
        var generated = TestCli.Run(environment, "new", "--mqtype", mqType, "--psm", "shop.orders.consumer", "--topic", "orders", "-o", "svc", "--feed", feed);
        Assert.True(generated.ExitCode == ExitCodes.Success, generated.ToString());

        var service = work.Combine("svc");
        var build = ProcessRunner.Run("dotnet", ["build", "-c", "Release", "-warnaserror"], service, Limit);
        Assert.True(build.ExitCode == 0, $"The generated {mqType} project does not build:\n{build.Output}");
        Assert.Contains(" 0 Warning(s)", build.Output, StringComparison.Ordinal);

        var test = ProcessRunner.Run("dotnet", ["test", "-c", "Release", "--no-build"], service, Limit);
        Assert.True(test.ExitCode == 0, $"The generated {mqType} project's tests fail:\n{test.Output}");
        Assert.Contains("Passed!", test.Output, StringComparison.Ordinal);
    }
}
