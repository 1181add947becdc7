using Tmqtool.Tests.Support;

namespace Tmqtool.Tests.Commands;

/// <summary>
/// Every bad value is refused with exit code 2, a message that names the value, the rule and the
/// fix, and a file system left exactly as it was.
/// </summary>
public sealed class NewCommandBadInputTests
{
    private static readonly string[] Kafka = ["new", "--mqtype", "kafka"];
    private static readonly string[] Nsq = ["new", "--mqtype", "nsq"];

    public static TheoryData<string, string[], string> Cases => new()
    {
        // PSM
        { "psm with a quote", [.. Kafka, "--psm", "shop.\"orders", "--topic", "orders"], "--psm 'shop.\"orders' is not a valid PSM" },
        { "psm with a newline", [.. Kafka, "--psm", "shop.orders\n.consumer", "--topic", "orders"], "--psm 'shop.orders\\n.consumer' is not a valid PSM: it contains the control character U+000A" },
        { "psm in capitals", [.. Kafka, "--psm", "Shop.Orders", "--topic", "orders"], "use lowercase: --psm shop.orders" },
        { "psm of one segment", [.. Kafka, "--psm", "orders", "--topic", "orders"], "two or more segments" },
        { "psm empty", [.. Kafka, "--psm", "", "--topic", "orders"], "--psm is required" },
        { "psm missing", [.. Kafka, "--topic", "orders"], "--psm is required" },
        { "psm with a Cyrillic look-alike", [.. Kafka, "--psm", "shop.\u043Erders", "--topic", "orders"], "non-ASCII character U+043E at position 6" },
        { "psm over 64 characters", [.. Kafka, "--psm", "shop." + new string('a', 60), "--topic", "orders"], "at most 64 characters" },
        { "psm starting with a digit", [.. Kafka, "--psm", "1shop.orders", "--topic", "orders"], "is not a valid PSM" },
        { "psm with a path", [.. Kafka, "--psm", "../shop.orders", "--topic", "orders"], "--psm '../shop.orders' is not a valid PSM" },
        { "psm with liquid", [.. Kafka, "--psm", "shop.{{name}}", "--topic", "orders"], "--psm 'shop.{{name}}' is not a valid PSM" },
        { "psm whose name hides System", [.. Kafka, "--psm", "shop.system.consumer", "--topic", "orders"], "derived from --psm 'shop.system.consumer' cannot be used" },

        // Kafka topic and group
        { "kafka topic with </Project>", [.. Kafka, "--psm", "shop.orders", "--topic", "</Project>"], "--topic '</Project>' is not a valid Kafka topic" },
        { "kafka topic with liquid", [.. Kafka, "--psm", "shop.orders", "--topic", "{{ psm }}"], "--topic '{{ psm }}' is not a valid Kafka topic" },
        { "kafka topic closing json", [.. Kafka, "--psm", "shop.orders", "--topic", "\"},"], "--topic '\"},' is not a valid Kafka topic" },
        { "kafka topic '.'", [.. Kafka, "--psm", "shop.orders", "--topic", "."], "not '.' or '..'" },
        { "kafka topic '..'", [.. Kafka, "--psm", "shop.orders", "--topic", ".."], "--topic '..' is not a valid Kafka topic" },
        { "kafka topic over 245 characters", [.. Kafka, "--psm", "shop.orders", "--topic", new string('t', 246)], "1 to 245 characters" },
        { "kafka topic with a space", [.. Kafka, "--psm", "shop.orders", "--topic", "orders events"], "--topic 'orders events' is not a valid Kafka topic" },
        { "kafka topic empty", [.. Kafka, "--psm", "shop.orders", "--topic", ""], "--topic is required" },
        { "kafka topic absolute path", [.. Kafka, "--psm", "shop.orders", "--topic", "/etc/passwd"], "--topic '/etc/passwd' is not a valid Kafka topic" },
        { "kafka group with a quote", [.. Kafka, "--psm", "shop.orders", "--topic", "orders", "--group", "g\"roup"], "--group 'g\"roup' is not a valid Kafka consumer group" },
        { "kafka with an NSQ channel", [.. Kafka, "--psm", "shop.orders", "--topic", "orders", "--channel", "c"], "--channel is an NSQ setting" },

        // NSQ topic and channel
        { "nsq topic over 64 characters", [.. Nsq, "--psm", "shop.orders", "--topic", new string('t', 65)], "--topic '" + new string('t', 65) + "' is not a valid NSQ topic" },
        { "nsq topic leaving no room for .dlq", [.. Nsq, "--psm", "shop.orders", "--topic", new string('t', 61)], "without that suffix at most 60" },
        { "nsq topic with a bad suffix", [.. Nsq, "--psm", "shop.orders", "--topic", "orders#ephemeralx"], "--topic 'orders#ephemeralx' is not a valid NSQ topic" },
        { "nsq topic with a doubled suffix", [.. Nsq, "--psm", "shop.orders", "--topic", "orders#ephemeral#ephemeral"], "is not a valid NSQ topic" },
        { "nsq channel with a quote", [.. Nsq, "--psm", "shop.orders", "--topic", "orders", "--channel", "ch\"an"], "--channel 'ch\"an' is not a valid NSQ channel" },
        { "nsq channel with a newline", [.. Nsq, "--psm", "shop.orders", "--topic", "orders", "--channel", "a\nb"], "--channel 'a\\nb' is not a valid NSQ channel" },
        { "nsq with a Kafka group", [.. Nsq, "--psm", "shop.orders", "--topic", "orders", "--group", "g"], "--group is a Kafka setting" },

        // Project name
        { "name is a keyword", [.. Kafka, "--psm", "shop.orders", "--topic", "orders", "--name", "class"], "the segment 'class' is a C# keyword" },
        { "name holds a keyword", [.. Kafka, "--psm", "shop.orders", "--topic", "orders", "--name", "Shop.namespace.Orders"], "the segment 'namespace' is a C# keyword" },
        { "name climbs out", [.. Kafka, "--psm", "shop.orders", "--topic", "orders", "--name", "../Evil"], "--name '../Evil' is not a valid project name" },
        { "name is an absolute path", [.. Kafka, "--psm", "shop.orders", "--topic", "orders", "--name", "/etc/passwd"], "--name '/etc/passwd' is not a valid project name" },
        { "name with a Cyrillic look-alike", [.. Kafka, "--psm", "shop.orders", "--topic", "orders", "--name", "Shop.\u041Erders"], "non-ASCII character U+041E at position 6" },
        { "name with </Project>", [.. Kafka, "--psm", "shop.orders", "--topic", "orders", "--name", "A</Project>"], "--name 'A</Project>' is not a valid project name" },
        { "name with an empty segment", [.. Kafka, "--psm", "shop.orders", "--topic", "orders", "--name", "Shop..Orders"], "an empty segment" },
        { "name starting with a digit", [.. Kafka, "--psm", "shop.orders", "--topic", "orders", "--name", "1Shop"], "is not an identifier that starts with a letter" },
        { "name over 100 characters", [.. Kafka, "--psm", "shop.orders", "--topic", "orders", "--name", new string('N', 101)], "it has 101 characters" },
        { "name hiding System", [.. Kafka, "--psm", "shop.orders", "--topic", "orders", "--name", "Shop.System"], "would hide the namespace or type" },
        { "name is a Windows device", [.. Kafka, "--psm", "shop.orders", "--topic", "orders", "--name", "Con.Orders"], "device name that Windows refuses" },
        { "name empty", [.. Kafka, "--psm", "shop.orders", "--topic", "orders", "--name", ""], "--name is required" },
        { "name with quote and brace", [.. Kafka, "--psm", "shop.orders", "--topic", "orders", "--name", "A\"},{"], "is not a valid project name" },

        // Type, queue, feed, output, parsing
        { "unknown type lists the known ones", ["new", "--type", "webapi", "--mqtype", "kafka", "--psm", "shop.orders", "--topic", "orders"], "known types: mqserver" },
        { "mqtype missing", ["new", "--psm", "shop.orders", "--topic", "orders"], "--mqtype is required" },
        { "mqtype unknown", ["new", "--mqtype", "rabbitmq", "--psm", "shop.orders", "--topic", "orders"], "--mqtype 'rabbitmq' is not a supported message queue" },
        { "feed of another scheme", [.. Kafka, "--psm", "shop.orders", "--topic", "orders", "--feed", "ftp://example.com/feed"], "--feed 'ftp://example.com/feed' is not a valid feed" },
        { "feed folder missing", [.. Kafka, "--psm", "shop.orders", "--topic", "orders", "--feed", "no-such-folder"], "is neither a URL nor an existing folder" },
        { "feed with a newline", [.. Kafka, "--psm", "shop.orders", "--topic", "orders", "--feed", "https://a\n.example.com"], "contains a control character" },
        { "repository without a host", [.. Nsq, "--psm", "shop.orders", "--topic", "orders", "--pre", "orders-consumer"], "--pre 'orders-consumer' is not a valid repository path" },
        { "repository over http", [.. Nsq, "--psm", "shop.orders", "--topic", "orders", "--pre", "http://github.com/shop/orders"], "is not a valid repository path" },
        { "repository with a space", [.. Kafka, "--psm", "shop.orders", "--topic", "orders", "--pre", "github.com/shop/my orders"], "is not a valid repository path" },
        { "repository with a quote", [.. Kafka, "--psm", "shop.orders", "--topic", "orders", "--pre", "github.com/shop/or\"ders"], "is not a valid repository path" },
        { "repository with a newline", [.. Kafka, "--psm", "shop.orders", "--topic", "orders", "--pre", "github.com/shop\n/orders"], "contains the control character U+000A" },
        { "repository too long", [.. Kafka, "--psm", "shop.orders", "--topic", "orders", "--pre", "github.com/" + new string('a', 200)], "at most 200 characters" },
        { "output with a newline", [.. Kafka, "--psm", "shop.orders", "--topic", "orders", "-o", "out\nput"], "contains a control character" },
        { "output not empty", [.. Kafka, "--psm", "shop.orders", "--topic", "orders", "-o", "existing"], "is not empty" },
        { "output is a file", [.. Kafka, "--psm", "shop.orders", "--topic", "orders", "-o", "existing/user.txt"], "is a file" },
        { "unknown option", [.. Kafka, "--psm", "shop.orders", "--topic", "orders", "--bogus"], "Unrecognized command or argument '--bogus'" },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void New_BadInput_ExitsWithTwoAndChangesNothing(string scenario, string[] args, string expectedMessage)
    {
        using var directory = new TempDirectory();
        Directory.CreateDirectory(directory.Combine("existing"));
        File.WriteAllText(directory.Combine("existing", "user.txt"), "the user's own file");
        var before = DirectorySnapshot.Take(directory.Path);

        var result = TestCli.Run(directory.Path, args);

        Assert.True(result.ExitCode == ExitCodes.InvalidInput, $"{scenario}: {result}");
        Assert.Contains(expectedMessage, result.Error, StringComparison.Ordinal);
        Assert.StartsWith("error: ", result.Error, StringComparison.Ordinal);
        if (!scenario.StartsWith("unknown option", StringComparison.Ordinal))
        {
            Assert.Contains("  rule: ", result.Error, StringComparison.Ordinal);
            Assert.Contains("  fix:  ", result.Error, StringComparison.Ordinal);
        }

        Assert.Empty(result.Output);
        Assert.Equal(before, DirectorySnapshot.Take(directory.Path));
    }

    [Fact]
    public void New_BadInput_NeverEchoesControlCharacters()
    {
        using var directory = new TempDirectory();

        var result = TestCli.Run(directory.Path, [.. Kafka, "--psm", "shop.orders", "--topic", "a\u001B[31mred\u0007"]);

        Assert.Equal(ExitCodes.InvalidInput, result.ExitCode);
        Assert.Contains("'a\\u001B[31mred\\u0007'", result.Error, StringComparison.Ordinal);
        Assert.DoesNotContain('\u001B', result.Error);
    }
}
