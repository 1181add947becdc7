using Tmqtool.Tests.Support;

namespace Tmqtool.Tests.Slow;

/// <summary>
/// Generates each variant with the installed tool (so the project restores the runtime packages
/// the tool carries, as a user's does), builds it with warnings as errors and runs its own tests.
/// Needs nuget.org for third-party packages.
/// </summary>
[Trait("Category", "Slow")]
[Collection(InstalledToolDefinition.Name)]
public sealed class GeneratedProjectBuildTests(InstalledTool tool)
{
    [SlowFact]
    public void Kafka_GeneratedProject_BuildsWithoutWarningsAndPassesItsTests() => BuildAndTest("kafka");

    [SlowFact(RequiresRepositoryFile = "runtime/Tmq.Nsq/Tmq.Nsq.csproj")]
    public void Nsq_GeneratedProject_BuildsWithoutWarningsAndPassesItsTests() => BuildAndTest("nsq");

    private void BuildAndTest(string mqType)
    {
        var service = tool.Service(mqType);
        Assert.DoesNotContain("warning", service.NewOutput, StringComparison.OrdinalIgnoreCase);
        Assert.Contains(" 0 Warning(s)", service.BuildOutput, StringComparison.Ordinal);

        var output = tool.Run("dotnet", ["test", "-c", "Release", "--no-build"], service.Folder);
        Assert.Contains("Passed!", output, StringComparison.Ordinal);
    }
}
