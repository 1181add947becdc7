using System.Text.Json;
using Tmqtool.Tests.Fakes;
using Tmqtool.Tests.Support;

namespace Tmqtool.Tests.Commands;

/// <summary>
/// <c>pause</c>, <c>resume</c>, <c>set</c>, <c>status</c> and <c>trace</c>: what they hand to the Kafka helper, and bad input
/// refused with exit code 2 before anything connects. The runs against a broker and a worker are in
/// the NSQ control tests and <see cref="Slow.EndToEndTests"/>.
/// </summary>
public sealed class FleetCommandTests
{
    private const string Servers = "127.0.0.1:9092";
    private const string Service = "shop.orders.consumer";

    public static TheoryData<string, string[], string> BadInput => new()
    {
        { "no service", ["pause", "-b", Servers], "--service is required" },
        { "service not a PSM", ["pause", "-b", Servers, "--service", "Shop.Orders"], "use lowercase: --service shop.orders" },
        { "no broker", ["pause", "--service", Service], "--bootstrap-servers is required" },
        { "both brokers", ["pause", "--service", Service, "-b", Servers, "--nsqd", "127.0.0.1:4150"], "are both given" },
        { "consumer with a slash", ["pause", "-b", Servers, "--service", Service, "--consumer", "a/b"], "--consumer 'a/b' is not a valid consumer name" },
        { "bad control topic", ["resume", "-b", Servers, "--service", Service, "--control-topic", "a b"], "--control-topic 'a b' is not a valid Kafka topic" },
        { "bad NSQ control topic", ["resume", "--nsqd", "127.0.0.1:4150", "--service", Service, "--control-topic", "a:b"], "--control-topic 'a:b'" },
        { "timeout zero", ["pause", "-b", Servers, "--service", Service, "--timeout", "0"], "--timeout 0 is out of range" },
        { "set nothing", ["set", "-b", Servers, "--service", Service], "no setting is given" },
        { "set with clear", ["set", "-b", Servers, "--service", Service, "--clear", "Paused=true"], "--clear comes with settings" },
        { "set without '='", ["set", "-b", Servers, "--service", Service, "Concurrency"], "setting 'Concurrency' is not a valid setting" },
        { "set a start-up setting", ["set", "-b", Servers, "--service", Service, "Topic=other"], "setting 'Topic' is not a valid live setting" },
        { "set twice", ["set", "-b", Servers, "--service", Service, "Concurrency=2", "concurrency=3"], "Concurrency is given twice" },
        { "set a bad value", ["set", "-b", Servers, "--service", Service, "Concurrency=0"], "Concurrency is 0; it must be between 1 and" },
        { "set a word for a number", ["set", "-b", Servers, "--service", Service, "Retry:MaxAttempts=three"], "Retry:MaxAttempts is \"three\", which is not a whole number" },
        { "set an unknown policy", ["set", "-b", Servers, "--service", Service, "Retry:OnExhausted=Drop"], "which is not a policy: DeadLetter or Stop" },
        { "set a bad NSQ value", ["set", "--nsqd", "127.0.0.1:4150", "--service", Service, "Paused=maybe"], "Paused is \"maybe\", which is not a true or false" },
        { "status without a broker", ["status"], "--bootstrap-servers is required" },
        { "status of a bad service", ["status", "-b", Servers, "--service", "a"], "--service 'a' is not a valid PSM" },
        { "status since too short", ["status", "-b", Servers, "--since", "5"], "--since 5 is out of range" },
        { "status wait on Kafka", ["status", "-b", Servers, "--wait", "5"], "--wait is an NSQ option" },
        { "status since on NSQ", ["status", "--nsqd", "127.0.0.1:4150", "--since", "60"], "--since is a Kafka option" },
        { "status wait too long", ["status", "--nsqd", "127.0.0.1:4150", "--wait", "601"], "--wait 601 is out of range" },
        { "status bad topic", ["status", "-b", Servers, "--status-topic", "a b"], "--status-topic 'a b' is not a valid Kafka topic" },
        { "trace id too short", ["trace", "abc", "-b", Servers, "--topic", "orders"], "trace-id 'abc' is not a valid trace id" },
        { "trace id in capitals", ["trace", "4BF92F3577B34DA6A3CE929D0E0E4736", "-b", Servers, "--topic", "orders"], "32 lowercase hexadecimal digits" },
        { "trace id all zero", ["trace", new string('0', 32), "-b", Servers, "--topic", "orders"], "not all zero" },
        { "trace without a topic", ["trace", "4bf92f3577b34da6a3ce929d0e0e4736", "-b", Servers], "--topic is required" },
        { "trace since on NSQ", ["trace", "4bf92f3577b34da6a3ce929d0e0e4736", "--nsqd", "127.0.0.1:4150", "--topic", "orders", "--since", "60"], "--since is a Kafka option" },
        { "trace id too short on NSQ", ["trace", "abc", "--nsqd", "127.0.0.1:4150", "--topic", "orders"], "trace-id 'abc' is not a valid trace id" },
        { "trace bad NSQ topic", ["trace", "4bf92f3577b34da6a3ce929d0e0e4736", "--nsqd", "127.0.0.1:4150", "--topic", "a b"], "--topic 'a b' is not a valid" },
    };

    [Theory]
    [MemberData(nameof(BadInput))]
    public async Task BadInput_ExitsWithTwoAndSendsNothing(string scenario, string[] args, string expectedMessage)
    {
        var helper = new RecordingHelper();

        var result = await NsqCli.RunAsync(helper, args);

        Assert.True(result.ExitCode == ExitCodes.InvalidInput, $"{scenario}: {result}");
        Assert.Contains(expectedMessage, result.Error, StringComparison.Ordinal);
        Assert.StartsWith("error: ", result.Error, StringComparison.Ordinal);
        Assert.Empty(helper.Requests);
        Assert.Empty(result.Output);
    }

    [Theory]
    [InlineData("pause", "true")]
    [InlineData("resume", "false")]
    public async Task PauseAndResume_Kafka_SendPausedForTheWholeService(string verb, string paused)
    {
        var helper = new RecordingHelper();

        var result = await NsqCli.RunAsync(helper, verb, "--service", Service, "--bootstrap-servers", Servers);

        Assert.True(result.ExitCode == ExitCodes.Success, result.ToString());
        using var request = JsonDocument.Parse(Assert.Single(helper.Requests));
        var root = request.RootElement;
        Assert.Equal("control", root.GetProperty("verb").GetString());
        Assert.Equal(Servers, root.GetProperty("bootstrapServers").GetString());
        Assert.Equal("tmq.control", root.GetProperty("topic").GetString());
        Assert.Equal(Service, root.GetProperty("service").GetString());
        Assert.Equal(JsonValueKind.Null, root.GetProperty("consumer").ValueKind);
        Assert.Equal($$"""{"Paused":"{{paused}}"}""", root.GetProperty("settings").GetRawText());
        Assert.False(root.GetProperty("clear").GetBoolean());
        Assert.Contains("@", root.GetProperty("sentBy").GetString()!, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Set_Kafka_PassesCanonicalNamesAndDropsForEmptyValues()
    {
        var helper = new RecordingHelper();

        var result = await NsqCli.RunAsync(helper, "set", "--service", Service, "--consumer", "main", "-b", Servers, "--control-topic", "ops.control", "--timeout", "30", "concurrency=64", "Retry.MaxDelay=00:01:00", "Retry__Jitter=");

        Assert.True(result.ExitCode == ExitCodes.Success, result.ToString());
        using var request = JsonDocument.Parse(Assert.Single(helper.Requests));
        var root = request.RootElement;
        Assert.Equal("ops.control", root.GetProperty("topic").GetString());
        Assert.Equal("main", root.GetProperty("consumer").GetString());
        Assert.Equal("""{"Concurrency":"64","Retry:MaxDelay":"00:01:00","Retry:Jitter":null}""", root.GetProperty("settings").GetRawText());
        Assert.Equal(30, root.GetProperty("timeoutSeconds").GetInt32());
    }

    [Fact]
    public async Task SetClear_Kafka_AsksForATombstone()
    {
        var helper = new RecordingHelper();

        var result = await NsqCli.RunAsync(helper, "set", "--service", Service, "-b", Servers, "--clear");

        Assert.True(result.ExitCode == ExitCodes.Success, result.ToString());
        using var request = JsonDocument.Parse(Assert.Single(helper.Requests));
        Assert.True(request.RootElement.GetProperty("clear").GetBoolean());
        Assert.Equal("{}", request.RootElement.GetProperty("settings").GetRawText());
    }

    [Fact]
    public async Task Status_Kafka_PassesTheWindowAndService()
    {
        var helper = new RecordingHelper();

        var result = await NsqCli.RunAsync(helper, "status", "-b", Servers, "--service", Service, "--since", "3600");

        Assert.True(result.ExitCode == ExitCodes.Success, result.ToString());
        Assert.Equal($$"""{"verb":"status","bootstrapServers":"{{Servers}}","topic":"tmq.status","service":"{{Service}}","sinceSeconds":3600,"timeoutSeconds":10}""", Assert.Single(helper.Requests));
    }

    [Fact]
    public async Task Trace_Kafka_LooksInTheTopicAndItsDeadLetterTopic()
    {
        var helper = new RecordingHelper();

        var result = await NsqCli.RunAsync(helper, "trace", "4bf92f3577b34da6a3ce929d0e0e4736", "-b", Servers, "--topic", "orders", "--since", "600");

        Assert.True(result.ExitCode == ExitCodes.Success, result.ToString());
        Assert.Equal($$"""{"verb":"trace","bootstrapServers":"{{Servers}}","traceId":"4bf92f3577b34da6a3ce929d0e0e4736","topics":["orders","orders.dlq"],"sinceSeconds":600,"timeoutSeconds":10}""", Assert.Single(helper.Requests));
    }
}
