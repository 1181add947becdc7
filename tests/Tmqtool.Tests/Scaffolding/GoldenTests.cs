using Tmqtool.Tests.Support;

namespace Tmqtool.Tests.Scaffolding;

/// <summary>Snapshots of whole generated trees; see <see cref="Golden"/> for how to update them.</summary>
public sealed class GoldenTests
{
    [Fact]
    public void New_KafkaDefaults_MatchesSnapshot() =>
        GenerateAndVerify("kafka-default", "--mqtype", "kafka", "--psm", "shop.orders.consumer", "--topic", "orders");

    [Fact]
    public void New_NsqDefaults_MatchesSnapshot() =>
        GenerateAndVerify("nsq-default", "--mqtype", "nsq", "--psm", "shop.orders.consumer", "--topic", "orders");

    [Fact]
    public void New_EveryOption_MatchesSnapshot() =>
        GenerateAndVerify(
            "nsq-every-option",
            "--type", "mqserver", "--mqtype", "NSQ", "--psm", "shop.search_v2.indexer", "--topic", "question-events#ephemeral",
            "--channel", "search-indexer", "--name", "Acme.Search.Indexer", "-o", "out/indexer", "--force",
            "--feed", "https://nuget.example.com/v3/index.json", "--pre", "github.com/acme/search-indexer");

    [Fact]
    public void New_KafkaWithGroupAndName_MatchesSnapshot() =>
        GenerateAndVerify(
            "kafka-every-option",
            "--type", "mqserver", "--mqtype", "kafka", "--psm", "shop.orders.consumer", "--topic", "shop.orders-created_v1",
            "--group", "orders-indexer", "--name", "Shop.Indexer", "--output", "out/indexer", "--force",
            "--feed", "https://nuget.example.com/v3/index.json", "--pre", "https://git.example.com/shop/indexer/");

    private static void GenerateAndVerify(string caseName, params string[] args)
    {
        using var directory = new TempDirectory();
        var result = TestCli.Run(directory.Path, ["new", .. args]);
        Assert.True(result.ExitCode == ExitCodes.Success, result.ToString());

        var output = args.Contains("-o") ? args[Array.IndexOf(args, "-o") + 1]
            : args.Contains("--output") ? args[Array.IndexOf(args, "--output") + 1]
            : "Shop.Orders.Consumer";
        Golden.Verify(caseName, directory.Combine(output));
    }
}
