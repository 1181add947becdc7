using Tmqtool.Tests.Support;

namespace Tmqtool.Tests.Commands;

public sealed class NewCommandFeedTests
{
    private static readonly string[] KafkaArgs = ["new", "--mqtype", "kafka", "--psm", "shop.orders.consumer", "--topic", "orders", "-o", "svc"];

    [Fact]
    public void New_ToolCarriesPackages_CopiesThemIntoTheLocalFeed()
    {
        using var directory = new TempDirectory();
        using var bundle = new TempDirectory();
        File.WriteAllBytes(Path.Combine(bundle.Path, "Tmq.Runtime.1.2.3.nupkg"), [1, 2, 3]);
        File.WriteAllBytes(Path.Combine(bundle.Path, "Tmq.Kafka.1.2.3.nupkg"), [4, 5, 6]);
        var environment = new CliEnvironment(directory.Path, TestCli.Versions, bundle.Path);

        var result = TestCli.Run(environment, KafkaArgs);

        Assert.True(result.ExitCode == ExitCodes.Success, result.ToString());
        Assert.Empty(result.Error);
        Assert.Equal([1, 2, 3], File.ReadAllBytes(directory.Combine("svc", ".tmq-feed", "Tmq.Runtime.1.2.3.nupkg")));
        Assert.Equal([4, 5, 6], File.ReadAllBytes(directory.Combine("svc", ".tmq-feed", "Tmq.Kafka.1.2.3.nupkg")));
        Assert.Contains("<add key=\"tmq\" value=\".tmq-feed\" />", File.ReadAllText(directory.Combine("svc", "nuget.config")), StringComparison.Ordinal);
    }

    [Fact]
    public void New_DevelopmentBuildWithoutPackages_WarnsAndStillSucceeds()
    {
        using var directory = new TempDirectory();

        var result = TestCli.Run(directory.Path, KafkaArgs);

        Assert.Equal(ExitCodes.Success, result.ExitCode);
        Assert.Contains("warning: this tmqtool carries no Tmq.Runtime or Tmq.Kafka 1.2.3 package", result.Error, StringComparison.Ordinal);
        Assert.Contains("--feed", result.Error, StringComparison.Ordinal);
        Assert.True(File.Exists(directory.Combine("svc", ".tmq-feed", "README.md")));
    }

    [Fact]
    public void New_NsqWithoutTheNsqPackage_WarnsThatItWillNotRestore()
    {
        using var directory = new TempDirectory();
        using var bundle = new TempDirectory();
        File.WriteAllBytes(Path.Combine(bundle.Path, "Tmq.Runtime.1.2.3.nupkg"), [1]);
        File.WriteAllBytes(Path.Combine(bundle.Path, "Tmq.Kafka.1.2.3.nupkg"), [2]);
        File.WriteAllBytes(Path.Combine(bundle.Path, "Tmq.Runtime.0.9.0.nupkg"), [3]);

        var result = TestCli.Run(
            new CliEnvironment(directory.Path, TestCli.Versions, bundle.Path),
            "new", "--mqtype", "nsq", "--psm", "shop.orders.consumer", "--topic", "orders", "-o", "svc");

        Assert.Equal(ExitCodes.Success, result.ExitCode);
        Assert.Contains("warning: this tmqtool carries no Tmq.Nsq 1.2.3 package", result.Error, StringComparison.Ordinal);
        Assert.Contains("will not restore", result.Error, StringComparison.Ordinal);
        Assert.Equal(["README.md", "Tmq.Runtime.1.2.3.nupkg"], Directory.GetFiles(directory.Combine("svc", ".tmq-feed")).Select(Path.GetFileName).Order(StringComparer.Ordinal));
    }

    [Fact]
    public void New_FeedFolder_PointsNuGetConfigAtItsAbsolutePath()
    {
        using var directory = new TempDirectory();
        Directory.CreateDirectory(directory.Combine("packages"));

        var result = TestCli.Run(directory.Path, [.. KafkaArgs, "--feed", "packages"]);

        Assert.True(result.ExitCode == ExitCodes.Success, result.ToString());
        Assert.Empty(result.Error);
        var config = File.ReadAllText(directory.Combine("svc", "nuget.config"));
        Assert.Contains($"<add key=\"tmq\" value=\"{directory.Combine("packages")}\" />", config, StringComparison.Ordinal);
        Assert.False(Directory.Exists(directory.Combine("svc", ".tmq-feed")));
    }

    [Fact]
    public void New_FeedUrl_PointsNuGetConfigAtTheUrl()
    {
        using var directory = new TempDirectory();

        var result = TestCli.Run(directory.Path, [.. KafkaArgs, "--feed", "https://nuget.example.com/v3/index.json?a=1&b=2"]);

        Assert.True(result.ExitCode == ExitCodes.Success, result.ToString());
        var config = File.ReadAllText(directory.Combine("svc", "nuget.config"));
        Assert.Contains("value=\"https://nuget.example.com/v3/index.json?a=1&amp;b=2\"", config, StringComparison.Ordinal);
    }

    [Fact]
    public void New_DryRunWithBundle_ListsThePackageCopies()
    {
        using var directory = new TempDirectory();
        using var bundle = new TempDirectory();
        File.WriteAllBytes(Path.Combine(bundle.Path, "Tmq.Runtime.1.2.3.nupkg"), [1]);

        var result = TestCli.Run(new CliEnvironment(directory.Path, TestCli.Versions, bundle.Path), [.. KafkaArgs, "--dry-run"]);

        Assert.Equal(ExitCodes.Success, result.ExitCode);
        Assert.Contains("  .tmq-feed/Tmq.Runtime.1.2.3.nupkg", result.Output, StringComparison.Ordinal);
        Assert.Empty(DirectorySnapshot.Take(directory.Path));
    }
}
