using Tmq.Nsq.Tests.Fakes;
using Tmqtool.Tests.Fakes;
using Tmqtool.Tests.Support;

namespace Tmqtool.Tests.Commands;

/// <summary><c>trace</c> on NSQ: the dead letters of one trace waiting in the dead-letter topic, every dead letter left in place.</summary>
public sealed class NsqTraceTests
{
    private const string Trace = "4bf92f3577b34da6a3ce929d0e0e4736";
    private const string Other = "0af7651916cd43dd8448eb211c80319c";

    [Theory]
    [InlineData("dev")]
    [RealNsqdData]
    public async Task Trace_DeadLetterOfTheTraceWaiting_IsShownAndEveryDeadLetterStays(string kind)
    {
        await using var broker = await TestBroker.StartAsync(kind);
        await DeadLetterAsync(broker, "poison", Trace);
        await DeadLetterAsync(broker, "other", Other);

        var result = await NsqCli.RunAsync("trace", Trace, "--nsqd", broker.Nsqd(), "--topic", "orders");

        Assert.True(result.ExitCode == ExitCodes.Success, result.ToString());
        var line = Assert.Single(result.Output.Split('\n'), l => l.Contains(" orders.dlq@", StringComparison.Ordinal));
        Assert.Contains($"key=poison dead letter of orders after 3 attempt(s): Tmq.PermanentFailureException traceparent=00-{Trace}-00f067aa0ba902b7-01", line, StringComparison.Ordinal);
        Assert.Contains($"1 dead letter(s) of trace {Trace} waiting in orders.dlq.", result.Output, StringComparison.Ordinal);
        Assert.DoesNotContain("key=other", result.Output, StringComparison.Ordinal);
        await Eventually.TrueAsync(
            async () => await broker.ChannelAsync("orders.dlq", "tmqtool-replay") is { Depth: 2, InFlight: 0 },
            () => "trace did not put both dead letters back in channel tmqtool-replay");
    }

    [Theory]
    [InlineData("dev")]
    [RealNsqdData]
    public async Task Trace_NoDeadLetterOfTheTrace_ExitsOneSayingWhereItLooked(string kind)
    {
        await using var broker = await TestBroker.StartAsync(kind);
        await DeadLetterAsync(broker, "other", Other);

        var result = await NsqCli.RunAsync("trace", Trace, "--nsqd", broker.Nsqd(), "--topic", "orders");

        Assert.True(result.ExitCode == ExitCodes.UnexpectedFailure, result.ToString());
        Assert.Contains($"no dead letter of trace {Trace} waits in orders.dlq", result.Error, StringComparison.Ordinal);
        Assert.Contains("the sends and handled attempts of this trace are in the OTLP backend", result.Error, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("dev")]
    [RealNsqdData]
    public async Task Trace_MisspeltTopic_ExitsOneAndMakesNoTopic(string kind)
    {
        await using var broker = await TestBroker.StartAsync(kind);

        await broker.PublishAsync("orders.dlq", "dead"u8.ToArray());
        await broker.WaitForTopicAsync("orders.dlq");

        var result = await NsqCli.RunAsync("trace", Trace, "--lookupd", broker.Lookupd(), "--topic", "ordres");

        Assert.True(result.ExitCode == ExitCodes.UnexpectedFailure, result.ToString());
        Assert.Contains("no nsqd has the dead-letter topic ordres.dlq", result.Error, StringComparison.Ordinal);
        Assert.False(await broker.HasTopicAsync("ordres.dlq"));
    }

    /// <summary>A dead letter as the runtime writes one: the original key, the trace, and the tmq-dlq-* headers.</summary>
    private static async Task DeadLetterAsync(TestBroker broker, string key, string trace)
    {
        var sent = await NsqCli.RunAsync(
            "produce", "--nsqd", broker.Nsqd(), "--topic", "orders.dlq", "--key", key, "--value", "{}",
            "--header", $"traceparent=00-{trace}-00f067aa0ba902b7-01",
            "--header", "tmq-dlq-original-topic=orders",
            "--header", "tmq-dlq-attempts=3",
            "--header", "tmq-dlq-exception-type=Tmq.PermanentFailureException");
        Assert.True(sent.ExitCode == ExitCodes.Success, sent.ToString());
    }
}
