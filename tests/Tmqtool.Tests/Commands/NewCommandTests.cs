using Tmqtool.Tests.Support;

namespace Tmqtool.Tests.Commands;

public sealed class NewCommandTests
{
    private static readonly string[] KafkaArgs = ["new", "--mqtype", "kafka", "--psm", "shop.orders.consumer", "--topic", "orders"];

    [Fact]
    public void New_DryRun_ListsEveryFileAndWritesNothing()
    {
        using var directory = new TempDirectory();

        var result = TestCli.Run(directory.Path, [.. KafkaArgs, "--dry-run"]);

        Assert.True(result.ExitCode == ExitCodes.Success, result.ToString());
        Assert.Contains("dry run: nothing was written", result.Output, StringComparison.Ordinal);
        Assert.Contains("  src/Shop.Orders.Consumer/MessageHandler.cs", result.Output, StringComparison.Ordinal);
        Assert.Contains("  tests/Shop.Orders.Consumer.Tests/MessageHandlerTests.cs", result.Output, StringComparison.Ordinal);
        Assert.Contains("  Shop.Orders.Consumer.slnx", result.Output, StringComparison.Ordinal);
        Assert.Empty(DirectorySnapshot.Take(directory.Path));
    }

    [Fact]
    public void New_DryRunIntoNonEmptyFolder_ReportsTheSameErrorAsARealRun()
    {
        using var directory = new TempDirectory();
        Directory.CreateDirectory(directory.Combine("Shop.Orders.Consumer"));
        File.WriteAllText(directory.Combine("Shop.Orders.Consumer", "keep.txt"), "mine");

        var result = TestCli.Run(directory.Path, [.. KafkaArgs, "--dry-run"]);

        Assert.Equal(ExitCodes.InvalidInput, result.ExitCode);
        Assert.Contains("is not empty", result.Error, StringComparison.Ordinal);
    }

    [Fact]
    public void New_Defaults_DeriveNameGroupAndOutputFromPsm()
    {
        using var directory = new TempDirectory();

        var result = TestCli.Run(directory.Path, "new", "--mqtype", "kafka", "--psm", "shop.orders_v2.consumer", "--topic", "orders");

        Assert.True(result.ExitCode == ExitCodes.Success, result.ToString());
        var project = directory.Combine("Shop.OrdersV2.Consumer", "src", "Shop.OrdersV2.Consumer", "appsettings.json");
        Assert.Contains("\"Group\": \"shop.orders_v2.consumer\"", File.ReadAllText(project), StringComparison.Ordinal);
    }

    [Fact]
    public void New_Force_OverwritesGeneratedFilesAndKeepsOthers()
    {
        using var directory = new TempDirectory();
        Assert.Equal(ExitCodes.Success, TestCli.Run(directory.Path, KafkaArgs).ExitCode);
        var handler = directory.Combine("Shop.Orders.Consumer", "src", "Shop.Orders.Consumer", "MessageHandler.cs");
        var original = File.ReadAllText(handler);
        File.WriteAllText(handler, "edited");
        var mine = directory.Combine("Shop.Orders.Consumer", "notes.txt");
        File.WriteAllText(mine, "mine");

        var refused = TestCli.Run(directory.Path, KafkaArgs);
        Assert.Equal(ExitCodes.InvalidInput, refused.ExitCode);
        Assert.Equal("edited", File.ReadAllText(handler));

        var forced = TestCli.Run(directory.Path, [.. KafkaArgs, "--force"]);
        Assert.True(forced.ExitCode == ExitCodes.Success, forced.ToString());
        Assert.Equal(original, File.ReadAllText(handler));
        Assert.Equal("mine", File.ReadAllText(mine));
    }

    [Fact]
    public void New_ForceIntoFolderWithLinkOutside_RefusesAndWritesNothing()
    {
        using var directory = new TempDirectory();
        using var outside = new TempDirectory();
        var output = directory.Combine("out");
        Directory.CreateDirectory(output);
        Directory.CreateSymbolicLink(Path.Combine(output, "src"), outside.Path);
        var before = DirectorySnapshot.Take(directory.Path);

        var result = TestCli.Run(directory.Path, [.. KafkaArgs, "-o", "out", "--force"]);

        Assert.Equal(ExitCodes.InvalidInput, result.ExitCode);
        Assert.Contains("Refusing to write through the link", result.Error, StringComparison.Ordinal);
        Assert.Empty(DirectorySnapshot.Take(outside.Path));
        Assert.Equal(before, DirectorySnapshot.Take(directory.Path));
    }

    [Fact]
    public void New_ForceWithDanglingFileLink_Refuses()
    {
        using var directory = new TempDirectory();
        using var outside = new TempDirectory();
        var output = directory.Combine("out");
        Directory.CreateDirectory(output);
        var target = Path.Combine(outside.Path, "planted");
        File.CreateSymbolicLink(Path.Combine(output, "Dockerfile"), target);

        var result = TestCli.Run(directory.Path, [.. KafkaArgs, "-o", "out", "--force"]);

        Assert.Equal(ExitCodes.InvalidInput, result.ExitCode);
        Assert.False(File.Exists(target));
    }

    [Fact]
    public void New_EveryWrittenFile_StaysInsideTheOutputFolder()
    {
        using var directory = new TempDirectory();

        var result = TestCli.Run(directory.Path, [.. KafkaArgs, "-o", "nested/deeper"]);

        Assert.True(result.ExitCode == ExitCodes.Success, result.ToString());
        var everything = DirectorySnapshot.Take(directory.Path).Keys;
        Assert.All(everything, path => Assert.StartsWith("nested", path, StringComparison.Ordinal));
        Assert.Contains("nested/deeper/nuget.config", everything);
    }

    [Fact]
    public void New_AbsoluteOutput_IsUsedAsGiven()
    {
        using var directory = new TempDirectory();
        using var elsewhere = new TempDirectory();
        var target = Path.Combine(elsewhere.Path, "svc");

        var result = TestCli.Run(directory.Path, [.. KafkaArgs, "-o", target]);

        Assert.True(result.ExitCode == ExitCodes.Success, result.ToString());
        Assert.True(File.Exists(Path.Combine(target, "Shop.Orders.Consumer.slnx")));
        Assert.Empty(DirectorySnapshot.Take(directory.Path));
    }

    [Fact]
    public void New_Success_PrintsNextSteps()
    {
        using var directory = new TempDirectory();

        var result = TestCli.Run(directory.Path, KafkaArgs);

        Assert.Contains("Created the Kafka consumer service Shop.Orders.Consumer", result.Output, StringComparison.Ordinal);
        Assert.Contains("dotnet run --project src/Shop.Orders.Consumer", result.Output, StringComparison.Ordinal);
        Assert.Contains("tmqtool dev kafka --port 9092 --topic orders:3", result.Output, StringComparison.Ordinal);
    }

    [Fact]
    public void Help_New_ShowsOptionsAndExamples()
    {
        using var directory = new TempDirectory();

        var result = TestCli.Run(directory.Path, "new", "--help");

        Assert.Equal(ExitCodes.Success, result.ExitCode);
        Assert.Contains("--mqtype <kafka|nsq>", result.Output, StringComparison.Ordinal);
        Assert.Contains("Examples:", result.Output, StringComparison.Ordinal);
        Assert.Contains("tmqtool new --mqtype nsq --psm shop.orders.consumer --topic orders --channel search", result.Output, StringComparison.Ordinal);
        Assert.Empty(DirectorySnapshot.Take(directory.Path));
    }

    [Fact]
    public void Help_Root_ListsTheNewVerbWithExamples()
    {
        using var directory = new TempDirectory();

        var result = TestCli.Run(directory.Path, "--help");

        Assert.Equal(ExitCodes.Success, result.ExitCode);
        Assert.Contains("new", result.Output, StringComparison.Ordinal);
        Assert.Contains("Examples:", result.Output, StringComparison.Ordinal);
    }

    [Fact]
    public void NoVerb_ExitsWithTwoAndPointsAtHelp()
    {
        using var directory = new TempDirectory();

        var result = TestCli.Run(directory.Path);

        Assert.Equal(ExitCodes.InvalidInput, result.ExitCode);
        Assert.Contains("tmqtool --help", result.Error, StringComparison.Ordinal);
    }

    [Fact]
    public void New_ResponseFileArgument_IsNotReadAsAFile()
    {
        using var directory = new TempDirectory();
        File.WriteAllText(directory.Combine("args.rsp"), "--mqtype kafka --psm shop.orders --topic orders");

        var result = TestCli.Run(directory.Path, "new", "@args.rsp");

        Assert.Equal(ExitCodes.InvalidInput, result.ExitCode);
        Assert.False(Directory.Exists(directory.Combine("Shop.Orders")));
    }
}
