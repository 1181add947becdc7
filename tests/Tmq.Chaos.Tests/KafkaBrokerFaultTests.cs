using System.Globalization;
using Confluent.Kafka;
using Tmq.Kafka;
using Xunit.Abstractions;

namespace Tmq.Chaos.Tests;

/// <summary>
/// Kafka's promise under broker faults, injected through the embedded broker while a steady keyed
/// load (100 keys, a round of one message per key every 100 ms for 10 to 15 s) flows to the worker,
/// a process of its own: a broker down and up, errors on Fetch, on OffsetCommit, and on JoinGroup
/// and Heartbeat during rebalances. Each time nothing is lost, each key's messages are first handled in the order
/// they were produced, and the duplicates, faults and longest stall are printed.
/// </summary>
[Trait("Category", "Chaos")]
public sealed class KafkaBrokerFaultTests(ITestOutputHelper output)
{
    private static readonly TimeSpan RoundInterval = TimeSpan.FromMilliseconds(100);
    private static readonly TimeSpan Fault = TimeSpan.FromSeconds(2);
    private static readonly TimeSpan Deadline = TimeSpan.FromMinutes(2);

    /// <summary>
    /// A worker slower than the load (about 700 messages a second against 1,000), so that a fault
    /// finds it holding fetched messages it has not handled yet, whose offsets it must not commit.
    /// </summary>
    private static readonly (string, string)[] Lagging = [("CHAOS_DELAY_MS", "5"), ("Tmq__Consumers__main__Concurrency", "4")];

    [Fact]
    public async Task BrokerDownAndUp_EachOfThreeInTurnUnderLoad_LosesNothingAndKeepsEachKeysOrder()
    {
        using var rig = KafkaFaultRig.Start(brokers: 3, keys: 100, perKey: 150);
        var leaders = rig.Leaders();
        var outages = new List<string>();
        var worker = WorkerProcess.Start("kafka", rig.Work.Record, rig.WorkerSettings());
        TimeSpan stall;
        try
        {
            var producing = rig.ProduceAsync(RoundInterval);
            await Until.TrueAsync(() => Distinct(rig) > 0, "the worker handled a message", worker);
            await using (var stalls = new StallWatch(rig))
            {
                for (var broker = 1; broker <= rig.Broker.BrokerCount; broker++)
                {
                    var quarter = broker * rig.Messages / 4;
                    await Until.TrueAsync(() => rig.Produced >= quarter, $"{quarter} messages produced", worker);

                    // The keys whose partitions this broker leads stall while it is down; the others flow on.
                    var led = Enumerable.Range(0, KafkaFaultRig.Partitions).Where(p => leaders[p] == broker).ToHashSet();
                    var stalled = rig.KeyNames.Where(k => led.Contains(rig.PartitionOf(k))).ToList();
                    var before = Distinct(rig);
                    rig.Broker.SetBrokerDown(broker);
                    await Task.Delay(Fault);
                    var whileDown = Distinct(rig) - before;
                    var onIt = Distinct(rig, stalled);
                    rig.Broker.SetBrokerUp(broker);
                    var up = DateTime.UtcNow;
                    await Until.TrueAsync(() => Distinct(rig, stalled) > onIt, $"a message of broker {broker}'s partitions handled after it came back", worker);
                    outages.Add(string.Create(CultureInfo.InvariantCulture, $"broker {broker} (leads {string.Join(',', led)}): {whileDown} handled while it was down, its partitions flowing again {(DateTime.UtcNow - up).TotalSeconds:0.0} s after it came back"));
                    Assert.True(whileDown > 0, $"nothing was handled while broker {broker} was down: the partitions of the other brokers stalled too");
                }

                await producing;
                await Until.TrueAsync(() => Distinct(rig) == rig.Messages, "every message handled", worker, Deadline);
                stall = stalls.Longest;
            }

            await StopAsync(worker);
        }
        finally
        {
            worker.Dispose();
        }

        Report(rig, $"{rig.Broker.BrokerCount} brokers each down for {Fault.TotalSeconds} s in turn", rig.Broker.BrokerCount, stall);
        output.WriteLine(string.Join('\n', outages));
    }

    [Fact]
    public async Task FetchErrors_RetriableBurstsRepeatNothing_AndAnOffsetResetRepeatsButLosesNothing()
    {
        // Three a burst: each failed Fetch costs the partitions fetch.error.backoff.ms (500 ms), so
        // all three are used within the burst's 2 s.
        ErrorCode[][] bursts =
        [
            [ErrorCode.NotLeaderForPartition, ErrorCode.Local_Transport, ErrorCode.RequestTimedOut],
            [ErrorCode.UnknownTopicOrPart, ErrorCode.KafkaStorageError, ErrorCode.LeaderNotAvailable],
            [ErrorCode.FencedLeaderEpoch, ErrorCode.NotLeaderForPartition, ErrorCode.UnknownLeaderEpoch],
        ];
        using var rig = KafkaFaultRig.Start(brokers: 1, keys: 100, perKey: 150);
        var worker = WorkerProcess.Start("kafka", rig.Work.Record, rig.WorkerSettings());
        int beforeReset;
        TimeSpan stall;
        try
        {
            var producing = rig.ProduceAsync(RoundInterval);
            await Until.TrueAsync(() => Distinct(rig) > 0, "the worker handled a message", worker);
            await using (var stalls = new StallWatch(rig))
            {
                for (var fault = 1; fault <= bursts.Length; fault++)
                {
                    await FetchErrorsAsync(rig, worker, fault * rig.Messages / 5, bursts[fault - 1]);
                }

                // The client keeps its fetch position through these: nothing is fetched twice.
                var duplicates = rig.Handled().Duplicates;
                Assert.True(duplicates == 0, $"{duplicates} message(s) handled twice after retriable Fetch errors");

                // OffsetOutOfRange makes the client reset the position by auto.offset.reset, which
                // the runtime sets to earliest: the partitions are read again from their start.
                beforeReset = Distinct(rig);
                await FetchErrorsAsync(rig, worker, 4 * rig.Messages / 5, [ErrorCode.OffsetOutOfRange]);
                await producing;
                await Until.TrueAsync(() => Distinct(rig) == rig.Messages, "every message handled", worker, Deadline);
                stall = stalls.Longest;
            }

            await StopAsync(worker);
        }
        finally
        {
            worker.Dispose();
        }

        Report(rig, $"3 bursts of retriable Fetch errors ({string.Join("; ", bursts.Select(static b => string.Join(", ", b)))}) and one OffsetOutOfRange, each cleared after {Fault.TotalSeconds} s", 4, stall);
        output.WriteLine($"no duplicate after the retriable bursts; the OffsetOutOfRange came after {beforeReset} distinct messages were handled");
    }

    private static async Task FetchErrorsAsync(KafkaFaultRig rig, WorkerProcess worker, int produced, ErrorCode[] errors)
    {
        await Until.TrueAsync(() => rig.Produced >= produced, $"{produced} messages produced", worker);
        rig.Broker.PushRequestErrors(KafkaApiKey.Fetch, errors);
        await Task.Delay(Fault);
        rig.Broker.ClearRequestErrors(KafkaApiKey.Fetch);
    }

    [Fact]
    public async Task OffsetCommitErrors_CommitsCatchUpOnceTheyClear_AndAKillRepeatsOnlyWhatWasNotCommitted()
    {
        ErrorCode[] errors =
        [
            ErrorCode.RequestTimedOut, ErrorCode.NotCoordinatorForGroup, ErrorCode.GroupCoordinatorNotAvailable, ErrorCode.GroupLoadInProgress,
            ErrorCode.RebalanceInProgress, ErrorCode.IllegalGeneration, ErrorCode.UnknownMemberId,
        ];
        var commitErrors = Enumerable.Repeat(errors, 150).SelectMany(static e => e).ToArray();
        using var rig = KafkaFaultRig.Start(brokers: 1, keys: 100, perKey: 100);
        var settings = rig.WorkerSettings(Lagging);
        var worker = WorkerProcess.Start("kafka", rig.Work.Record, settings);
        int killed;
        int successor;
        int lost;
        long[] frozen;
        string caughtUp;
        TimeSpan stall;
        try
        {
            var producing = rig.ProduceAsync(RoundInterval);
            await Until.TrueAsync(() => Distinct(rig) > 0, "the worker handled a message", worker);
            await using (var stalls = new StallWatch(rig))
            {
                // First: commits fail for a while, then succeed again and catch up with what was handled meanwhile.
                await Until.TrueAsync(() => rig.Produced >= rig.Messages / 5, "a fifth of the messages produced", worker);
                rig.Broker.PushRequestErrors(KafkaApiKey.OffsetCommit, commitErrors);
                frozen = rig.Committed();
                await Task.Delay(Fault);
                var stuck = rig.Committed();
                Assert.True(stuck.SequenceEqual(frozen), $"a commit succeeded while every OffsetCommit failed: {KafkaFaultRig.Describe(frozen)} became {KafkaFaultRig.Describe(stuck)}");
                rig.Broker.ClearRequestErrors(KafkaApiKey.OffsetCommit);
                var handledBefore = rig.HandledPrefix(rig.Handled());
                var cleared = DateTime.UtcNow;
                await Until.TrueAsync(() => rig.Committed().Zip(handledBefore).All(static c => c.First >= c.Second), $"the commits reached what was handled while they failed ({KafkaFaultRig.Describe(handledBefore)})", worker);
                caughtUp = string.Create(CultureInfo.InvariantCulture, $"commits frozen at {KafkaFaultRig.Describe(frozen)} for {Fault.TotalSeconds} s, caught up with {KafkaFaultRig.Describe(handledBefore)} {(DateTime.UtcNow - cleared).TotalSeconds:0.0} s after the errors cleared");

                // Then: commits fail again and the worker is killed meanwhile. Its successor repeats
                // what was handled since the last successful commit, and nothing before it.
                await Until.TrueAsync(() => rig.Produced >= 3 * rig.Messages / 5, "three fifths of the messages produced", worker);
                rig.Broker.PushRequestErrors(KafkaApiKey.OffsetCommit, commitErrors);
                frozen = rig.Committed();
                await Task.Delay(Fault);
                await worker.KillAsync();
                killed = worker.Id;
                lost = KafkaFaultRig.Logged(worker, 2004);
                rig.Broker.ClearRequestErrors(KafkaApiKey.OffsetCommit);
                worker.Dispose();
                worker = WorkerProcess.Start("kafka", rig.Work.Record, settings);
                successor = worker.Id;

                await producing;
                await Until.TrueAsync(() => Distinct(rig) == rig.Messages, "every message handled", worker, Deadline);
                stall = stalls.Longest;
            }

            await StopAsync(worker);
        }
        finally
        {
            worker.Dispose();
        }

        var handled = Report(rig, "2 windows of OffsetCommit errors, the second ended by SIGKILL", 2, stall);
        var byKilled = handled.HandledBy(killed).ToHashSet();
        var repeated = handled.HandledBy(successor).Where(byKilled.Contains).ToList();
        var belowCommit = repeated.Where(r => rig.Landed(r.Key, r.Sequence).Offset.Value < frozen[rig.PartitionOf(r.Key)]).ToList();
        output.WriteLine($"{caughtUp}; the killed worker lost its partitions {lost} time(s) (refused commits of a dropped member); after the kill {repeated.Count} message(s) handled again, all at or after the last commit {KafkaFaultRig.Describe(frozen)}");
        Assert.True(belowCommit.Count == 0, $"{belowCommit.Count} message(s) below the last successful commit were handled again: {string.Join(", ", belowCommit.Take(10))}");
    }

    [Fact]
    public async Task JoinGroupAndHeartbeatErrors_DuringRebalancesUnderLoad_LoseNothingAndKeepEachKeysOrder()
    {
        ErrorCode[] heartbeat = [ErrorCode.UnknownMemberId, ErrorCode.NotCoordinatorForGroup, ErrorCode.IllegalGeneration, ErrorCode.GroupCoordinatorNotAvailable, ErrorCode.RebalanceInProgress];
        ErrorCode[] join = [ErrorCode.GroupLoadInProgress, ErrorCode.NotCoordinatorForGroup, ErrorCode.GroupCoordinatorNotAvailable, ErrorCode.UnknownMemberId];
        using var rig = KafkaFaultRig.Start(brokers: 1, keys: 100, perKey: 100);

        // Short sessions: the embedded broker waits session.timeout.ms - 1 s for members to rejoin.
        var worker = WorkerProcess.Start("kafka", rig.Work.Record, rig.WorkerSettings(
            [.. Lagging,
            ("Tmq__Consumers__main__Kafka__session.timeout.ms", "3000"),
            ("Tmq__Consumers__main__Kafka__heartbeat.interval.ms", "300"),
            ("Logging__LogLevel__Tmq.Kafka.Consumer", "Information")]));
        var intrusions = new List<string>();
        TimeSpan stall;
        try
        {
            var producing = rig.ProduceAsync(RoundInterval);
            await Until.TrueAsync(() => Distinct(rig) > 0, "the worker handled a message", worker);
            await using (var stalls = new StallWatch(rig))
            {
                for (var intrusion = 1; intrusion <= 2; intrusion++)
                {
                    var third = intrusion * rig.Messages / 3;
                    await Until.TrueAsync(() => rig.Produced >= third, $"{third} messages produced", worker);

                    // A second member joins (taking partitions from the worker) and leaves again,
                    // committing nothing; each of its rebalances meets JoinGroup and Heartbeat errors.
                    rig.Broker.PushRequestErrors(KafkaApiKey.JoinGroup, join);
                    var taken = await Task.Run(() => Intrude(rig, worker, () => rig.Broker.PushRequestErrors(KafkaApiKey.Heartbeat, [.. heartbeat, .. heartbeat])));
                    rig.Broker.PushRequestErrors(KafkaApiKey.JoinGroup, join);
                    rig.Broker.PushRequestErrors(KafkaApiKey.Heartbeat, heartbeat);
                    intrusions.Add($"intrusion {intrusion}: took {taken}");
                }

                await producing;
                await Until.TrueAsync(() => Distinct(rig) == rig.Messages, "every message handled", worker, Deadline);
                rig.Broker.ClearRequestErrors(KafkaApiKey.JoinGroup);
                rig.Broker.ClearRequestErrors(KafkaApiKey.Heartbeat);
                stall = stalls.Longest;
            }

            await StopAsync(worker);
        }
        finally
        {
            worker.Dispose();
        }

        Report(rig, $"2 intrusions (4 rebalances) meeting {3 * join.Length} JoinGroup and {3 * heartbeat.Length} Heartbeat errors each", 4, stall);
        output.WriteLine(
            $"{string.Join("; ", intrusions)}; the worker logged {KafkaFaultRig.Logged(worker, 2002)} assignment(s), "
            + $"{KafkaFaultRig.Logged(worker, 2003) + KafkaFaultRig.Logged(worker, 2018)} revocation(s) ({KafkaFaultRig.Logged(worker, 2018)} uncommitted), {KafkaFaultRig.Logged(worker, 2004)} loss(es)");
    }

    /// <summary>
    /// A plain consumer of the worker's group that joins, holds what it is given for a moment
    /// (reading, committing nothing) and leaves. Returns what it was assigned.
    /// </summary>
    private static string Intrude(KafkaFaultRig rig, WorkerProcess worker, Action joined)
    {
        using var intruder = new ConsumerBuilder<string, string>(new ConsumerConfig
        {
            BootstrapServers = rig.Broker.BootstrapServers,
            GroupId = KafkaFaultRig.Group,
            PartitionAssignmentStrategy = PartitionAssignmentStrategy.CooperativeSticky,
            SessionTimeoutMs = 3000,
            HeartbeatIntervalMs = 300,
            EnableAutoCommit = false,
            AutoOffsetReset = AutoOffsetReset.Earliest,
        }).SetLogHandler(static (_, _) => { }).Build();
        intruder.Subscribe(KafkaFaultRig.Topic);
        joined();
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(60);
        while (intruder.Assignment.Count == 0)
        {
            if (worker.HasExited || DateTime.UtcNow > deadline)
            {
                Assert.Fail($"the second member was never assigned a partition (worker exited: {worker.HasExited}):\n{worker.Output}");
            }

            intruder.Consume(TimeSpan.FromMilliseconds(100));
        }

        var taken = string.Join(',', intruder.Assignment.Select(static p => p.Partition.Value));
        var hold = DateTime.UtcNow + TimeSpan.FromSeconds(1);
        while (DateTime.UtcNow < hold)
        {
            intruder.Consume(TimeSpan.FromMilliseconds(100));
        }

        intruder.Close();
        return taken;
    }

    private static int Distinct(KafkaFaultRig rig) => rig.Handled().Distinct;

    /// <summary>Distinct messages of <paramref name="keys"/> handled so far.</summary>
    private static int Distinct(KafkaFaultRig rig, List<string> keys) =>
        (keys.Count * rig.PerKey) - rig.Handled().Missing(keys, rig.PerKey).Count;

    private static async Task StopAsync(WorkerProcess worker)
    {
        await worker.StopAsync(TimeSpan.FromSeconds(30));
        Assert.True(worker.ExitCode == 0, $"the worker exited with {worker.ExitCode} on SIGTERM:\n{worker.Output}");
    }

    /// <summary>Holds the invariants and prints the figures.</summary>
    private HandledMessages Report(KafkaFaultRig rig, string faults, int count, TimeSpan stall)
    {
        var handled = rig.Verify();
        output.WriteLine(string.Create(
            CultureInfo.InvariantCulture,
            $"{rig.Messages} messages; faults: {faults}; {handled.Handlings} handlings by {handled.Processes} process(es), {handled.Duplicates} duplicate(s) ({(double)handled.Duplicates / count:0.#} per fault); longest stall {stall.TotalSeconds:0.0} s"));
        return handled;
    }
}
