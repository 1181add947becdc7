using Tmq.Control;

namespace Tmq.Runtime.Tests.Control;

public sealed class StatusTableTests
{
    private static readonly DateTimeOffset Now = new(2026, 12, 7, 22, 0, 0, TimeSpan.Zero);

    [Fact]
    public void State_ByLastReport_LiveGoneOrStopped()
    {
        Assert.Equal("live", StatusTable.State(Report("a", Now.AddSeconds(-14)), Now));
        Assert.Equal("gone", StatusTable.State(Report("a", Now.AddSeconds(-16)), Now));
        Assert.Equal("stopped", StatusTable.State(Report("a", Now.AddSeconds(-1)) with { Stopping = true }, Now));
    }

    [Fact]
    public void Write_SeveralReportsPerInstance_ShowsTheLatestOfEachAndCounts()
    {
        var output = new StringWriter();
        var reports = new[]
        {
            Report("host-1/10/aa", Now.AddSeconds(-6), success: 5),
            Report("host-1/10/aa", Now.AddSeconds(-1), success: 9),
            Report("host-2/20/bb", Now.AddMinutes(-5), success: 1),
            Report("host-3/30/cc", Now.AddSeconds(-2)) with { Stopping = true },
            Report("host-4/40/dd", Now.AddSeconds(-1)) with { Service = "other.service" },
        };

        var live = StatusTable.Write(output, reports, Now, "shop.orders");

        Assert.Equal(1, live);
        var text = output.ToString();
        Assert.Contains("shop.orders: owner orders-team; alerts to slack:#orders", text, StringComparison.Ordinal);
        Assert.Contains("  host-1/10/aa live: version 1.2.0 (Tmq 0.9.0), up ", text, StringComparison.Ordinal);
        Assert.Contains("    main: consuming, kafka orders group shop.orders, lag 12 over 2 partition(s), in flight 3, buffered 40; success 9 retry 0 dead_letter 0; control Paused=false", text, StringComparison.Ordinal);
        Assert.DoesNotContain("success 5", text, StringComparison.Ordinal);
        Assert.Contains("  host-2/20/bb gone:", text, StringComparison.Ordinal);
        Assert.Contains("  host-3/30/cc stopped:", text, StringComparison.Ordinal);
        Assert.DoesNotContain("host-4", text, StringComparison.Ordinal);
        Assert.EndsWith("1 live, 1 gone, 1 stopped instance(s) of shop.orders." + Environment.NewLine, text, StringComparison.Ordinal);
    }

    [Fact]
    public void Write_NoReports_SaysSo()
    {
        var output = new StringWriter();

        Assert.Equal(0, StatusTable.Write(output, [], Now, null));

        Assert.Equal("No instance has reported." + Environment.NewLine, output.ToString());
    }

    [Fact]
    public void Encode_ThenDecode_KeepsEveryField()
    {
        var sent = Report("host-1/10/aa", Now, success: 3);

        Assert.True(InstanceStatus.TryDecode(sent.Encode(), out var read, out var error), error);

        Assert.Equal(sent.Instance, read!.Instance);
        Assert.Equal(sent.AlertReceivers, read.AlertReceivers);
        var consumer = Assert.Single(read.Consumers);
        Assert.Equal(12, consumer.Lag.Values.Sum());
        Assert.Equal(3, consumer.Outcomes["success"]);
        Assert.Equal("false", consumer.Control["Paused"]);
        Assert.Equal("orders.dlq", consumer.DeadLetterTopic);
        Assert.Equal(sent.StartedAt, read.StartedAt);
    }

    [Theory]
    [InlineData("""{"tmq":"control","version":1}""")]
    [InlineData("""{"tmq":"status","version":2,"service":"s","instance":"i"}""")]
    [InlineData("""{"tmq":"status","version":1,"instance":"i","startedAt":"x"}""")]
    [InlineData("not json")]
    [InlineData("""{"tmq":"status","version":1,"service":"s","instance":"i","startedAt":"2026-12-08T00:00:00Z","sentAt":"2026-12-08T00:00:00Z","intervalSeconds":1e12}""")]
    [InlineData("""{"tmq":"status","version":1,"service":"s","instance":"i","startedAt":"2026-12-08T00:00:00Z","sentAt":"2026-12-08T00:00:00Z","intervalSeconds":-5}""")]
    public void Decode_NotAReport_IsRefused(string text)
    {
        Assert.False(InstanceStatus.TryDecode(System.Text.Encoding.UTF8.GetBytes(text), out _, out var error));
        Assert.NotEmpty(error);
    }

    private static InstanceStatus Report(string instance, DateTimeOffset sentAt, long success = 0) => new()
    {
        Service = "shop.orders",
        Instance = instance,
        Host = instance.Split('/')[0],
        Process = 10,
        ServiceVersion = "1.2.0",
        TmqVersion = "0.9.0",
        StartedAt = Now.AddHours(-1),
        SentAt = sentAt,
        Interval = TimeSpan.FromSeconds(5),
        Owner = "orders-team",
        AlertReceivers = ["slack:#orders"],
        Consumers =
        [
            new ConsumerStatusReport
            {
                Name = "main",
                System = "kafka",
                Topic = "orders",
                Group = "shop.orders",
                Running = true,
                DeadLetterTopic = "orders.dlq",
                Assigned = 2,
                InFlight = 3,
                Buffered = 40,
                Lag = new Dictionary<string, long> { ["0"] = 10, ["1"] = 2 },
                Outcomes = new Dictionary<string, long> { ["dead_letter"] = 0, ["retry"] = 0, ["stopped"] = 0, ["success"] = success },
                Control = new Dictionary<string, string> { ["Paused"] = "false" },
            },
        ],
    };
}
