using System.Text.Json;
using System.Xml.Linq;
using Tmqtool.Packaging;
using Tmqtool.Scaffolding;
using Tmqtool.Tests.Support;

namespace Tmqtool.Tests.Scaffolding;

/// <summary>
/// Defence in depth: values that validation refuses are rendered anyway, straight into the
/// templates, and every structured file still parses and holds the value exactly.
/// </summary>
public sealed class HostileValueTests
{
    private const string Hostile = "x\"},{\"y\": 1,\n</Project><!-- {{ name }} '&<>\\ \u0430";

    [Theory]
    [InlineData("kafka")]
    [InlineData("nsq")]
    public void Render_HostileValues_KeepsJsonAndXmlWellFormed(string mqType)
    {
        var type = mqType == "kafka" ? MqType.Kafka : MqType.Nsq;
        var settings = new ScaffoldSettings(
            type, Hostile, Hostile, Hostile, "Shop.Orders", "/tmp/unused", Hostile,
            new PackageFeed("https://x.example/?a=" + Hostile.Replace("\n", "", StringComparison.Ordinal), PackageFeedKind.Url, null),
            TestCli.Versions);

        var files = Scaffolder.Render(settings).ToDictionary(f => f.RelativePath, f => f.Text!);

        var options = new JsonDocumentOptions { CommentHandling = JsonCommentHandling.Skip };
        using var appsettings = JsonDocument.Parse(files["src/Shop.Orders/appsettings.json"], options);
        var consumer = appsettings.RootElement.GetProperty("Tmq").GetProperty("Consumers").GetProperty("main");
        Assert.Equal(Hostile, appsettings.RootElement.GetProperty("Tmq").GetProperty("Service").GetString());
        Assert.Equal(Hostile, consumer.GetProperty("Topic").GetString());
        Assert.Equal(Hostile, consumer.GetProperty(type == MqType.Kafka ? "Group" : "Channel").GetString());
        Assert.Equal(Hostile, consumer.GetProperty("DeadLetter").GetProperty("Topic").GetString());

        using var dashboard = JsonDocument.Parse(files["monitoring/grafana-dashboard.json"]);
        var expression = dashboard.RootElement.GetProperty("panels")[0].GetProperty("targets")[0].GetProperty("expr").GetString();
        Assert.Contains("messaging_destination_name=\"x\\\"},{\\\"y\\\": 1,\\n</Project>", expression, StringComparison.Ordinal);

        using var development = JsonDocument.Parse(files["src/Shop.Orders/appsettings.Development.json"], options);
        using var launch = JsonDocument.Parse(files["src/Shop.Orders/Properties/launchSettings.json"]);

        var config = XDocument.Parse(files["nuget.config"]);
        Assert.Equal(settings.Feed.Source, config.Descendants("add").Single(e => (string?)e.Attribute("key") == "tmq").Attribute("value")!.Value);
        XDocument.Parse(files["src/Shop.Orders/Shop.Orders.csproj"]);
        XDocument.Parse(files["tests/Shop.Orders.Tests/Shop.Orders.Tests.csproj"]);
        XDocument.Parse(files["Shop.Orders.slnx"]);

        Assert.All(
            files["monitoring/prometheus-alerts.yaml"].Split('\n').Where(l => l.TrimStart().StartsWith("expr:", StringComparison.Ordinal)),
            line => Assert.Matches("^        expr: \"[ -~]*\"$", line));
        Assert.Contains("Topic = \"x\\\"},{\\\"y\\\": 1,\\n</Project>", files["tests/Shop.Orders.Tests/MessageHandlerTests.cs"], StringComparison.Ordinal);
    }

    [Fact]
    public void Render_GeneratedFiles_AreWellFormedForEveryVariant()
    {
        foreach (var type in new[] { MqType.Kafka, MqType.Nsq })
        {
            foreach (var feed in new[]
            {
                new PackageFeed(PackageFeed.LocalFolder, PackageFeedKind.Bundled, null),
                new PackageFeed("/opt/feed", PackageFeedKind.Folder, null),
                new PackageFeed("https://nuget.example.com/v3/index.json", PackageFeedKind.Url, null),
            })
            {
                var settings = new ScaffoldSettings(type, "shop.orders", "orders", "shop.orders", "Shop.Orders", "/tmp/unused", null, feed, TestCli.Versions);
                foreach (var file in Scaffolder.Render(settings))
                {
                    var options = new JsonDocumentOptions { CommentHandling = JsonCommentHandling.Skip };
                    if (file.RelativePath.EndsWith(".json", StringComparison.Ordinal))
                    {
                        using var _ = JsonDocument.Parse(file.Text!, options);
                    }
                    else if (file.RelativePath.EndsWith("proj", StringComparison.Ordinal) || file.RelativePath.EndsWith(".slnx", StringComparison.Ordinal) || file.RelativePath.EndsWith(".config", StringComparison.Ordinal))
                    {
                        XDocument.Parse(file.Text!);
                    }

                    Assert.DoesNotContain("\r", file.Text!, StringComparison.Ordinal);
                    Assert.DoesNotContain("\n\n\n", file.Text!, StringComparison.Ordinal);
                    Assert.EndsWith("\n", file.Text!, StringComparison.Ordinal);
                }
            }
        }
    }
}
