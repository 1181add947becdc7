using System.Text.Json;
using Tmqtool.Tests.Support;

namespace Tmqtool.Tests.Scaffolding;

/// <summary>
/// tmqtool new takes no secret: no option asks for one and it reads none from the environment.
/// These tests hold that: secrets set in the environment, under the names a generated service
/// reads them by, reach no generated file and nothing printed; the generated settings hold no
/// credential values; and a feed URL carrying credentials is refused rather than written into
/// nuget.config (or echoed).
/// </summary>
public sealed class SecretTests
{
    private const string Secret = "env-secret-Hq27vx9R";

    private static readonly string[] Variables =
    [
        "Tmq__Consumers__main__Kafka__sasl.password",
        "Tmq__Consumers__main__Kafka__ssl.key.password",
        "Tmq__Producer__Kafka__sasl.password",
        "Tmq__Consumers__main__Nsq__AuthSecret",
        "Tmq__Producer__AuthSecret",
        "KAFKA_SASL_PASSWORD",
        "NUGET_PASSWORD",
    ];

    [Theory]
    [InlineData("kafka")]
    [InlineData("nsq")]
    public void New_SecretsInTheEnvironment_InNoGeneratedFileAndNotPrinted(string mqType)
    {
        using var directory = new TempDirectory();
        CliResult result;
        try
        {
            foreach (var variable in Variables)
            {
                Environment.SetEnvironmentVariable(variable, Secret);
            }

            result = TestCli.Run(directory.Path, "new", "--mqtype", mqType, "--psm", "shop.orders.consumer", "--topic", "orders");
        }
        finally
        {
            foreach (var variable in Variables)
            {
                Environment.SetEnvironmentVariable(variable, null);
            }
        }

        Assert.True(result.ExitCode == ExitCodes.Success, result.ToString());
        Assert.DoesNotContain(Secret, result.Output + result.Error, StringComparison.Ordinal);
        var files = Directory.GetFiles(directory.Path, "*", SearchOption.AllDirectories);
        Assert.NotEmpty(files);
        Assert.All(files, file => Assert.False(File.ReadAllText(file).Contains(Secret, StringComparison.Ordinal), $"{file} holds the secret"));

        var settings = files.Where(f => Path.GetFileName(f).StartsWith("appsettings", StringComparison.Ordinal) && f.EndsWith(".json", StringComparison.Ordinal)).ToList();
        Assert.NotEmpty(settings);
        Assert.All(settings, file => Assert.Empty(Credentials(file)));
    }

    [Theory]
    [InlineData("https://bob:tok-7Yq2mZ@nuget.example.com/v3/index.json")]
    [InlineData("https://tok-7Yq2mZ@nuget.example.com/v3/index.json")]
    public void New_FeedUrlWithCredentials_RefusedWithoutWritingOrPrintingThem(string feed)
    {
        using var directory = new TempDirectory();

        var result = TestCli.Run(directory.Path, "new", "--mqtype", "kafka", "--psm", "shop.orders.consumer", "--topic", "orders", "--feed", feed);

        Assert.True(result.ExitCode == ExitCodes.InvalidInput, result.ToString());
        Assert.Contains("--feed", result.Error, StringComparison.Ordinal);
        Assert.Contains("credentials", result.Error, StringComparison.Ordinal);
        Assert.DoesNotContain("tok-7Yq2mZ", result.Output + result.Error, StringComparison.Ordinal);
        Assert.Empty(DirectorySnapshot.Take(directory.Path));
    }

    /// <summary>Settings whose name says they hold a credential, and that hold a value.</summary>
    private static List<string> Credentials(string file)
    {
        using var document = JsonDocument.Parse(File.ReadAllText(file), new JsonDocumentOptions { CommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true });
        var found = new List<string>();
        Walk(document.RootElement, string.Empty, found);
        return found;
    }

    private static void Walk(JsonElement element, string path, List<string> found)
    {
        if (element.ValueKind == JsonValueKind.Object)
        {
            foreach (var property in element.EnumerateObject())
            {
                var name = property.Name.ToLowerInvariant();
                var credential = name.Contains("password", StringComparison.Ordinal) || name.Contains("secret", StringComparison.Ordinal) ||
                    name.Contains("key.pem", StringComparison.Ordinal) || name.Contains("token", StringComparison.Ordinal) || name.Contains("jaas", StringComparison.Ordinal);
                if (credential && property.Value.ValueKind == JsonValueKind.String && property.Value.GetString() is { Length: > 0 })
                {
                    found.Add($"{path}:{property.Name}");
                }

                Walk(property.Value, $"{path}:{property.Name}", found);
            }
        }
        else if (element.ValueKind == JsonValueKind.Array)
        {
            foreach (var item in element.EnumerateArray())
            {
                Walk(item, path, found);
            }
        }
    }
}
