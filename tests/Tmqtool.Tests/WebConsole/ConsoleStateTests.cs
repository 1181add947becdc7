using System.Text.Json.Nodes;
using Microsoft.Extensions.Time.Testing;
using Tmq.Control;
using Tmqtool.WebConsole;

namespace Tmqtool.Tests.WebConsole;

public sealed class ConsoleStateTests
{
    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2026, 12, 8, 10, 0, 0, TimeSpan.Zero));

    [Fact]
    public void Sample_KafkaPartitionsOfTwoInstances_ChartsEachPartitionOnce()
    {
        var state = new ConsoleState(_time, TimeSpan.FromMinutes(10));
        state.Report(Instance("a", Kafka(lag: new() { ["0"] = 5, ["1"] = 7 })));
        state.Report(Instance("b", Kafka(lag: new() { ["2"] = 11 })));

        state.Sample();

        var history = Consumer(state)["history"]!;
        Assert.Equal(["0", "1", "2"], history["series"]!.AsArray().Select(s => s!["name"]!.GetValue<string>()));
        Assert.Equal([5L, 7L, 11L], history["series"]!.AsArray().Select(s => s!["values"]![0]!.GetValue<long>()));
    }

    [Fact]
    public void Sample_NsqDepthReportedByTwoInstances_ChartsTheChannelsDepthNotTheSum()
    {
        var state = new ConsoleState(_time, TimeSpan.FromMinutes(10));
        state.Report(Instance("a", Nsq(depth: 40)));
        state.Report(Instance("b", Nsq(depth: 42)));

        state.Sample();

        var series = Assert.Single(Consumer(state)["history"]!["series"]!.AsArray());
        Assert.Equal(42, series!["values"]![0]!.GetValue<long>());
    }

    [Fact]
    public void Sample_PointsOlderThanTheWindow_AreDropped()
    {
        var state = new ConsoleState(_time, TimeSpan.FromMinutes(1));
        state.Report(Instance("a", Kafka(lag: new() { ["0"] = 1 })));
        state.Sample();
        _time.Advance(TimeSpan.FromSeconds(5));
        state.Report(Instance("a", Kafka(lag: new() { ["0"] = 2 })));
        state.Sample();
        _time.Advance(TimeSpan.FromSeconds(58));
        state.Report(Instance("a", Kafka(lag: new() { ["0"] = 3 })));

        state.Sample();

        Assert.Equal([2L, 3L], Consumer(state)["history"]!["series"]![0]!["values"]!.AsArray().Select(v => v!.GetValue<long>()));
    }

    [Fact]
    public void Snapshot_InstanceSilentForThreeIntervals_IsGoneAndNotCountedLiveOrPaused()
    {
        var state = new ConsoleState(_time, TimeSpan.FromMinutes(10));
        state.Report(Instance("a", Kafka(paused: true)));
        _time.Advance(TimeSpan.FromSeconds(16));
        state.Report(Instance("b", Kafka(paused: false)));

        var consumer = Consumer(state);

        Assert.Equal(["gone", "live"], consumer["instances"]!.AsArray().Select(i => i!["state"]!.GetValue<string>()));
        Assert.Equal(1, consumer["live"]!.GetValue<int>());
        Assert.False(consumer["paused"]!.GetValue<bool>());
    }

    [Fact]
    public void Snapshot_DeadLettersCountedAndReported_ShowsWaitingAndDeadLettered()
    {
        var state = new ConsoleState(_time, TimeSpan.FromMinutes(10));
        state.Report(Instance("a", Kafka(deadLettered: 3)));
        state.Report(Instance("b", Kafka(deadLettered: 4)));
        state.DeadLetters(new Dictionary<string, long> { ["orders.dlq"] = 5 });

        var consumer = Consumer(state);

        Assert.Equal(5, consumer["deadLettersWaiting"]!.GetValue<long>());
        Assert.Equal(7, consumer["deadLettered"]!.GetValue<long>());
        Assert.True(state.IsDeadLetterTopic("orders.dlq"));
        Assert.False(state.IsDeadLetterTopic("orders"));
    }

    [Fact]
    public void Report_OlderReportOfTheSameInstanceReadLate_IsIgnored()
    {
        var state = new ConsoleState(_time, TimeSpan.FromMinutes(10));
        var newer = Instance("a", Kafka(paused: true));
        state.Report(newer);
        state.Report(newer with { SentAt = newer.SentAt.AddSeconds(-5), Consumers = [Kafka(paused: false)] });

        Assert.True(Consumer(state)["paused"]!.GetValue<bool>());
    }

    [Fact]
    public void Sample_InstanceSilentForTheWholeWindow_IsDropped()
    {
        var state = new ConsoleState(_time, TimeSpan.FromMinutes(1));
        state.Report(Instance("a", Kafka()));
        _time.Advance(TimeSpan.FromSeconds(30));
        state.Report(Instance("b", Kafka()));
        _time.Advance(TimeSpan.FromSeconds(31));

        state.Sample();

        Assert.Equal(["b"], Consumer(state)["instances"]!.AsArray().Select(i => i!["instance"]!.GetValue<string>()));
    }

    [Fact]
    public void Report_SentInTheFuture_CountsAsSentNowAndDoesNotHideTheNext()
    {
        var state = new ConsoleState(_time, TimeSpan.FromMinutes(10));
        var ahead = Instance("a", Kafka(paused: true));
        state.Report(ahead with { SentAt = ahead.SentAt.AddHours(1) });
        _time.Advance(TimeSpan.FromSeconds(5));

        state.Report(Instance("a", Kafka(paused: false)));

        Assert.False(Consumer(state)["paused"]!.GetValue<bool>());
    }

    [Fact]
    public void Snapshot_DeadLettersThatCouldNotBeCounted_SayWhyInsteadOfACount()
    {
        var state = new ConsoleState(_time, TimeSpan.FromMinutes(10));
        state.Report(Instance("a", Kafka()));
        state.DeadLetters(new Dictionary<string, long> { ["orders.dlq"] = 5 });

        state.DeadLetters(new Dictionary<string, long>(), new Dictionary<string, string> { ["orders.dlq"] = "Group authorization failed" });

        var consumer = Consumer(state);
        Assert.Null(consumer["deadLettersWaiting"]);
        Assert.Equal("Group authorization failed", consumer["deadLettersUnknown"]!.GetValue<string>());
    }

    [Fact]
    public void IsConsumer_OnlyWhatALiveInstanceReports()
    {
        var state = new ConsoleState(_time, TimeSpan.FromMinutes(10));
        state.Report(Instance("a", Kafka()));

        Assert.True(state.IsConsumer("shop.orders.consumer", "main"));
        Assert.False(state.IsConsumer("shop.orders.consumer", "other"));
        Assert.False(state.IsConsumer("shop.other.consumer", "main"));
        _time.Advance(TimeSpan.FromSeconds(16));
        Assert.False(state.IsConsumer("shop.orders.consumer", "main"));
    }

    private static JsonNode Consumer(ConsoleState state) =>
        state.Snapshot("Kafka test")["services"]![0]!["consumers"]![0]!;

    private InstanceStatus Instance(string id, ConsumerStatusReport consumer) => new()
    {
        Service = "shop.orders.consumer",
        Instance = id,
        Host = "host",
        StartedAt = _time.GetUtcNow().AddMinutes(-1),
        SentAt = _time.GetUtcNow(),
        Interval = TimeSpan.FromSeconds(5),
        Consumers = [consumer],
    };

    private static ConsumerStatusReport Kafka(Dictionary<string, long>? lag = null, bool paused = false, long deadLettered = 0) => new()
    {
        Name = "main",
        System = "kafka",
        Topic = "orders",
        Group = "shop.orders.consumer",
        Running = true,
        Paused = paused,
        DeadLetterTopic = "orders.dlq",
        Lag = lag ?? [],
        Outcomes = new Dictionary<string, long> { ["dead_letter"] = deadLettered },
    };

    private static ConsumerStatusReport Nsq(long depth) => new()
    {
        Name = "main",
        System = "nsq",
        Topic = "orders",
        Group = "shop.orders.consumer",
        Running = true,
        DeadLetterTopic = "orders.dlq",
        Depth = new Dictionary<string, long> { ["127.0.0.1:4150"] = depth },
    };
}
