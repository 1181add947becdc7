using System.Text.Json;
using Tmqtool.Helper;
using Tmqtool.Tests.Fakes;
using Tmqtool.Tests.Support;

namespace Tmqtool.Tests.Commands;

/// <summary>
/// <c>dev kafka</c>, <c>produce</c> and <c>tail</c> in-process: what they hand to the Kafka helper,
/// and that bad input is refused with exit code 2 before any process starts. The real runs are in
/// <see cref="Slow.EndToEndTests"/>.
/// </summary>
public sealed class KafkaHelperCommandTests
{
    private const string Servers = "127.0.0.1:9092";

    public static TheoryData<string, string[], string> BadInput => new()
    {
        // dev kafka
        { "no brokers", ["dev", "kafka", "--brokers", "0"], "--brokers 0 is out of range" },
        { "too many brokers", ["dev", "kafka", "--brokers", "33"], "1 to 32 brokers" },
        { "brokers not a number", ["dev", "kafka", "--brokers", "three"], "three" },
        { "topic with a quote", ["dev", "kafka", "--topic", "or\"ders"], "--topic 'or\"ders' is not a valid topic" },
        { "topic with a Cyrillic look-alike", ["dev", "kafka", "--topic", "\u043Erders:3"], "non-ASCII character U+043E at position 1" },
        { "topic with no name", ["dev", "kafka", "--topic", ":3"], "--topic ':3' is not a valid topic" },
        { "topic with zero partitions", ["dev", "kafka", "--topic", "orders:0"], "has the partition count '0'" },
        { "topic with too many partitions", ["dev", "kafka", "--topic", "orders:1001"], "has the partition count '1001'" },
        { "topic with a word for partitions", ["dev", "kafka", "--topic", "orders:three"], "has the partition count 'three'" },
        { "topic given twice", ["dev", "kafka", "--topic", "orders:3", "--topic", "orders"], "--topic 'orders' is given twice" },
        { "port zero", ["dev", "kafka", "--port", "0"], "--port 0 is out of range" },
        { "port too high", ["dev", "kafka", "--port", "65536"], "a TCP port from 1 to 65535" },
        { "bootstrap file in a missing folder", ["dev", "kafka", "--bootstrap-file", "no-such-folder/b.txt"], "in a folder that does not exist" },
        { "bootstrap file is a folder", ["dev", "kafka", "--bootstrap-file", "existing"], "--bootstrap-file 'existing' is a folder" },
        { "bootstrap file with a newline", ["dev", "kafka", "--bootstrap-file", "b\n.txt"], "--bootstrap-file 'b\\n.txt' is not a valid file path" },

        // produce
        { "produce without servers", ["produce", "--topic", "orders", "--value", "v"], "--bootstrap-servers is required" },
        { "produce without servers or an NSQ address", ["produce", "--topic", "orders", "--value", "v"], "for an NSQ topic give --nsqd or --lookupd instead" },
        { "produce servers without a port", ["produce", "-b", "localhost", "--topic", "orders", "--value", "v"], "--bootstrap-servers 'localhost' is not a valid list of Kafka servers" },
        { "produce servers with a bad port", ["produce", "-b", "localhost:99999", "--topic", "orders", "--value", "v"], "host:port pairs" },
        { "produce servers with an empty entry", ["produce", "-b", "a:1,", "--topic", "orders", "--value", "v"], "is not a valid list of Kafka servers" },
        { "produce servers with a scheme", ["produce", "-b", "http://a:1", "--topic", "orders", "--value", "v"], "is not a valid list of Kafka servers" },
        { "produce without a topic", ["produce", "-b", Servers, "--value", "v"], "--topic is required" },
        { "produce to a bad topic", ["produce", "-b", Servers, "--topic", "a b", "--value", "v"], "--topic 'a b' is not a valid Kafka topic" },
        { "produce to an over-long topic", ["produce", "-b", Servers, "--topic", new string('t', 250), "--value", "v"], "1 to 249 characters" },
        { "produce without a value", ["produce", "-b", Servers, "--topic", "orders"], "--value is required" },
        { "produce a header without '='", ["produce", "-b", Servers, "--topic", "orders", "--value", "v", "--header", "trace"], "--header 'trace' is not a valid header" },
        { "produce a header without a name", ["produce", "-b", Servers, "--topic", "orders", "--value", "v", "--header", "=v"], "--header '=v' is not a valid header" },
        { "produce zero messages", ["produce", "-b", Servers, "--topic", "orders", "--value", "v", "--count", "0"], "--count 0 is out of range" },
        { "produce a word for a count", ["produce", "-b", Servers, "--topic", "orders", "--value", "v", "--count", "abc"], "Cannot parse argument 'abc' for option '--count' as a whole number" },
        { "produce with no timeout", ["produce", "-b", Servers, "--topic", "orders", "--value", "v", "--timeout", "0"], "--timeout 0 is out of range" },

        // tail
        { "tail without servers", ["tail", "--topic", "orders"], "--bootstrap-servers is required" },
        { "tail a bad topic", ["tail", "-b", Servers, "--topic", "../x"], "--topic '../x' is not a valid Kafka topic" },
        { "tail zero messages", ["tail", "-b", Servers, "--topic", "orders", "--count", "0"], "--count 0 is out of range" },
        { "tail with a negative timeout", ["consume", "-b", Servers, "--topic", "orders", "--timeout", "-1"], "--timeout -1 is out of range" },
        { "tail with an unknown option", ["tail", "-b", Servers, "--topic", "orders", "--group", "g"], "Unrecognized command or argument '--group'" },

        // dlq replay
        { "replay without servers", ["dlq", "replay", "--topic", "orders.dlq"], "--bootstrap-servers is required" },
        { "replay without a topic", ["dlq", "replay", "-b", Servers], "--topic is required" },
        { "replay a bad topic", ["dlq", "replay", "-b", Servers, "--topic", "orders dlq"], "--topic 'orders dlq' is not a valid Kafka topic" },
        { "replay to a bad topic", ["dlq", "replay", "-b", Servers, "--topic", "orders.dlq", "--to", "a/b"], "--to 'a/b' is not a valid Kafka topic" },
        { "replay into itself", ["dlq", "replay", "-b", Servers, "--topic", "orders.dlq", "--to", "orders.dlq"], "--to 'orders.dlq' is the topic being replayed" },
        { "replay with a bad group", ["dlq", "replay", "-b", Servers, "--topic", "orders.dlq", "--group", "a b"], "--group 'a b' is not a valid Kafka consumer group" },
        { "replay a topic too long for the default group", ["dlq", "replay", "-b", Servers, "--topic", new string('t', 240)], "is too long for this topic: give a shorter --group" },
        { "replay zero messages", ["dlq", "replay", "-b", Servers, "--topic", "orders.dlq", "--count", "0"], "--count 0 is out of range" },
        { "replay with no timeout", ["dlq", "replay", "-b", Servers, "--topic", "orders.dlq", "--timeout", "0"], "--timeout 0 is out of range" },
        { "dlq without a verb", ["dlq"], "Required command was not provided" },
    };

    [Theory]
    [MemberData(nameof(BadInput))]
    public void BadInput_ExitsWithTwoAndStartsNothing(string scenario, string[] args, string expectedMessage)
    {
        using var directory = new TempDirectory();
        Directory.CreateDirectory(directory.Combine("existing"));
        var helper = new RecordingHelper();

        var result = Run(directory.Path, helper, args);

        Assert.True(result.ExitCode == ExitCodes.InvalidInput, $"{scenario}: {result}");
        Assert.Contains(expectedMessage, result.Error, StringComparison.Ordinal);
        Assert.StartsWith("error: ", result.Error, StringComparison.Ordinal);
        Assert.Empty(helper.Requests);
        Assert.Empty(result.Output);
    }

    [Fact]
    public void DevKafka_ValidOptions_PassTopicsPortAndAbsoluteBootstrapFile()
    {
        using var directory = new TempDirectory();
        var helper = new RecordingHelper();

        var result = Run(directory.Path, helper, "dev", "kafka", "--brokers", "3", "--topic", "orders:3", "--topic", "orders.dlq", "--port", "9092", "--bootstrap-file", "b.txt");

        Assert.True(result.ExitCode == ExitCodes.Success, result.ToString());
        var request = Assert.Single(helper.Requests);
        Assert.Equal(
            $$"""{"verb":"dev-kafka","brokers":3,"topics":[{"name":"orders","partitions":3},{"name":"orders.dlq","partitions":1}],"port":9092,"bootstrapFile":{{JsonSerializer.Serialize(directory.Combine("b.txt"))}}}""",
            request);
    }

    [Fact]
    public void DevKafka_NoOptions_OneBrokerRandomPort()
    {
        using var directory = new TempDirectory();
        var helper = new RecordingHelper();

        var result = Run(directory.Path, helper, "dev", "kafka");

        Assert.Equal(ExitCodes.Success, result.ExitCode);
        Assert.Equal("""{"verb":"dev-kafka","brokers":1,"topics":[],"port":0,"bootstrapFile":null}""", Assert.Single(helper.Requests));
    }

    [Fact]
    public void Produce_ValidOptions_PassEveryValueUnchanged()
    {
        using var directory = new TempDirectory();
        var helper = new RecordingHelper();

        var result = Run(directory.Path, helper, "produce", "--bootstrap-servers", "kafka-1:9092,[::1]:9093", "--topic", "orders", "--key", "k-{n}", "--value", "{\"a\":\"\u00e9\"}\n", "--header", "x=1=2", "--header", "empty=", "--count", "5", "--quiet", "--timeout", "7");

        Assert.True(result.ExitCode == ExitCodes.Success, result.ToString());
        using var json = JsonDocument.Parse(Assert.Single(helper.Requests));
        var root = json.RootElement;
        Assert.Equal("produce", root.GetProperty("verb").GetString());
        Assert.Equal("kafka-1:9092,[::1]:9093", root.GetProperty("bootstrapServers").GetString());
        Assert.Equal("k-{n}", root.GetProperty("key").GetString());
        Assert.Equal("{\"a\":\"\u00e9\"}\n", root.GetProperty("value").GetString());
        Assert.Equal("""[{"name":"x","value":"1=2"},{"name":"empty","value":""}]""", root.GetProperty("headers").GetRawText());
        Assert.Equal(5, root.GetProperty("count").GetInt32());
        Assert.True(root.GetProperty("quiet").GetBoolean());
        Assert.Equal(7, root.GetProperty("timeoutSeconds").GetInt32());
    }

    [Fact]
    public void Produce_EmptyValueAndNoKey_AreAllowed()
    {
        using var directory = new TempDirectory();
        var helper = new RecordingHelper();

        var result = Run(directory.Path, helper, "produce", "-b", Servers, "--topic", "orders", "--value", "");

        Assert.True(result.ExitCode == ExitCodes.Success, result.ToString());
        Assert.Equal(
            """{"verb":"produce","bootstrapServers":"127.0.0.1:9092","topic":"orders","key":null,"value":"","headers":[],"count":1,"quiet":false,"timeoutSeconds":30}""",
            Assert.Single(helper.Requests));
    }

    [Theory]
    [InlineData("tail")]
    [InlineData("consume")]
    public void Tail_Defaults_ReadNewMessagesWithoutLimit(string verb)
    {
        using var directory = new TempDirectory();
        var helper = new RecordingHelper();

        var result = Run(directory.Path, helper, verb, "-b", Servers, "--topic", "orders.dlq");

        Assert.Equal(ExitCodes.Success, result.ExitCode);
        Assert.Equal(
            """{"verb":"tail","bootstrapServers":"127.0.0.1:9092","topic":"orders.dlq","fromBeginning":false,"count":0,"timeoutSeconds":0}""",
            Assert.Single(helper.Requests));
    }

    [Fact]
    public void Tail_CountTimeoutAndFromBeginning_ArePassed()
    {
        using var directory = new TempDirectory();
        var helper = new RecordingHelper();

        var result = Run(directory.Path, helper, "tail", "-b", Servers, "--topic", "orders.dlq", "--from-beginning", "--count", "2", "--timeout", "30");

        Assert.Equal(ExitCodes.Success, result.ExitCode);
        Assert.Equal(
            """{"verb":"tail","bootstrapServers":"127.0.0.1:9092","topic":"orders.dlq","fromBeginning":true,"count":2,"timeoutSeconds":30}""",
            Assert.Single(helper.Requests));
    }

    [Fact]
    public void DlqReplay_Defaults_ReplayEverythingToTheOriginalTopicsUnderAGroupOfTheTopic()
    {
        using var directory = new TempDirectory();
        var helper = new RecordingHelper();

        var result = Run(directory.Path, helper, "dlq", "replay", "-b", Servers, "--topic", "orders.dlq");

        Assert.True(result.ExitCode == ExitCodes.Success, result.ToString());
        Assert.Equal(
            """{"verb":"dlq-replay","bootstrapServers":"127.0.0.1:9092","topic":"orders.dlq","to":null,"group":"tmqtool-replay.orders.dlq","count":0,"dryRun":false,"timeoutSeconds":30}""",
            Assert.Single(helper.Requests));
    }

    [Fact]
    public void DlqReplay_EveryOption_IsPassed()
    {
        using var directory = new TempDirectory();
        var helper = new RecordingHelper();

        var result = Run(directory.Path, helper, "dlq", "replay", "-b", Servers, "--topic", "orders.dlq", "--to", "orders.retry", "--group", "ops.replay", "--count", "10", "--dry-run", "--timeout", "5");

        Assert.True(result.ExitCode == ExitCodes.Success, result.ToString());
        Assert.Equal(
            """{"verb":"dlq-replay","bootstrapServers":"127.0.0.1:9092","topic":"orders.dlq","to":"orders.retry","group":"ops.replay","count":10,"dryRun":true,"timeoutSeconds":5}""",
            Assert.Single(helper.Requests));
    }

    [Fact]
    public void HelperExitCode_IsTheVerbsExitCode()
    {
        using var directory = new TempDirectory();
        var helper = new RecordingHelper { ExitCode = ExitCodes.UnexpectedFailure };

        var result = Run(directory.Path, helper, "produce", "-b", Servers, "--topic", "orders", "--value", "v");

        Assert.Equal(ExitCodes.UnexpectedFailure, result.ExitCode);
    }

    [Fact]
    public void DevelopmentBuild_WithoutBundledPackages_ExplainsAndFails()
    {
        using var directory = new TempDirectory();
        var environment = new CliEnvironment(directory.Path, TestCli.Versions, BundledFeedDirectory: null) { ToolHome = directory.Combine("home") };

        var result = TestCli.Run(environment, "produce", "-b", Servers, "--topic", "orders", "--value", "v");

        Assert.Equal(ExitCodes.UnexpectedFailure, result.ExitCode);
        Assert.Contains("carries no Tmq.Runtime or Tmq.Kafka 1.2.3 package", result.Error, StringComparison.Ordinal);
        Assert.Contains("fix:", result.Error, StringComparison.Ordinal);
        Assert.False(Directory.Exists(directory.Combine("home")));
    }

    [Fact]
    public void Prepare_WritesHelperAtTheToolVersion_AndRewritesNothingWhenUnchanged()
    {
        using var directory = new TempDirectory();
        var folder = directory.Combine("dev", "1.2.3");
        var feed = directory.Combine("a & <feed>");

        var app = HelperApp.Prepare(folder, "1.2.3", feed, out var firstChanged);
        var written = File.GetLastWriteTimeUtc(app);
        HelperApp.Prepare(folder, "1.2.3", feed, out var secondChanged);

        Assert.True(firstChanged);
        Assert.False(secondChanged);
        Assert.Equal(written, File.GetLastWriteTimeUtc(app));
        Assert.StartsWith("#:package Tmq.Kafka@1.2.3\n", File.ReadAllText(app), StringComparison.Ordinal);
        Assert.Contains("value=\"" + directory.Combine("a &amp; &lt;feed&gt;") + "\"", File.ReadAllText(Path.Combine(folder, "nuget.config")), StringComparison.Ordinal);
        Assert.True(File.Exists(Path.Combine(folder, "Directory.Build.props")));
        Assert.Empty(Directory.GetFiles(folder, "*.tmp"));
    }

    [Theory]
    [InlineData("dev", "kafka")]
    [InlineData("produce")]
    [InlineData("tail")]
    [InlineData("dlq", "replay")]
    public void Help_ShowsOptionsAndExamples(params string[] verb)
    {
        using var directory = new TempDirectory();

        var result = Run(directory.Path, new RecordingHelper(), [.. verb, "--help"]);

        Assert.Equal(ExitCodes.Success, result.ExitCode);
        Assert.Contains("Examples:", result.Output, StringComparison.Ordinal);
        Assert.Contains("tmqtool " + string.Join(' ', verb), result.Output, StringComparison.Ordinal);
    }

    [Fact]
    public void Help_DevKafka_SaysThePortsAreRandom()
    {
        using var directory = new TempDirectory();

        var result = Run(directory.Path, new RecordingHelper(), "dev", "kafka", "--help");

        Assert.Contains("ports are random", result.Output, StringComparison.OrdinalIgnoreCase);
    }

    private static CliResult Run(string workingDirectory, RecordingHelper helper, params string[] args) =>
        TestCli.Run(new CliEnvironment(workingDirectory, TestCli.Versions, BundledFeedDirectory: null) { Helper = helper }, args);
}
