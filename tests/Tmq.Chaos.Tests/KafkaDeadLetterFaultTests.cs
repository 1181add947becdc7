using Confluent.Kafka;
using Tmq.Kafka;
using Xunit.Abstractions;

namespace Tmq.Chaos.Tests;

/// <summary>
/// Kafka's dead-letter promise under broker faults: while every Produce request to the dead-letter
/// topic fails (refused, retriable errors, dropped connections), a failing message's offset is never
/// committed, and once the errors clear every failing message is in the dead-letter topic and
/// nothing is lost. The worker is a process of its own; the broker and its faults are in the test.
/// </summary>
[Trait("Category", "Chaos")]
public sealed class KafkaDeadLetterFaultTests(ITestOutputHelper output)
{
    private const int FailEvery = 20;
    private static readonly TimeSpan Window = TimeSpan.FromSeconds(3);

    /// <summary>What the broker answers Produce requests with during a window, in turn.</summary>
    private static readonly ErrorCode[] ProduceErrors =
    [
        ErrorCode.TopicAuthorizationFailed, ErrorCode.NotEnoughReplicas, ErrorCode.RequestTimedOut, ErrorCode.NotLeaderForPartition, ErrorCode.Local_Transport,
    ];

    [Fact]
    public async Task DeadLetterProduceFails_NoOffsetPassesAnUnacknowledgedDeadLetter_AndEveryFailureIsDeadLettered()
    {
        using var rig = KafkaFaultRig.Start(brokers: 1, keys: 100, perKey: 100);
        await rig.ProduceAsync();
        var failing = rig.KeyNames.SelectMany(k => Enumerable.Range(1, rig.PerKey).Where(static s => s % FailEvery == 0).Select(s => (Key: k, Sequence: s))).ToList();
        var checks = 0;

        // Every committed offset says its partition's failing messages below it are dead-lettered:
        // read the commits first, then the dead-letter topic, which must hold all of them by then.
        void Check()
        {
            var committed = rig.Committed();
            var dead = rig.DeadLetters();
            foreach (var (key, sequence) in failing)
            {
                var landed = rig.Landed(key, sequence);
                Assert.True(
                    landed.Offset.Value >= committed[landed.Partition.Value] || dead.ContainsKey((key, sequence)),
                    $"{key}#{sequence} at {landed} failed and is not in the dead-letter topic, yet the group committed {KafkaFaultRig.Describe(committed)}");
            }

            checks++;
        }

        // The first window opens before the worker starts: its first dead letters all meet it.
        PushProduceErrors(rig.Broker);
        var worker = WorkerProcess.Start("kafka", rig.Work.Record, rig.WorkerSettings(
            ("CHAOS_DELAY_MS", "2"),
            ("CHAOS_FAIL_EVERY", FailEvery.ToString(System.Globalization.CultureInfo.InvariantCulture)),
            ("Tmq__Consumers__main__Concurrency", "8")));
        var windows = new List<string>();
        try
        {
            await Until.TrueAsync(() => FailedSoFar(rig, worker) > 0, "a message failed", worker);
            await HoldWindowAsync(rig, worker, Check, expectNoDeadLetter: true);
            windows.Add($"1: {FailedSoFar(rig, worker)} failed by its end, dead-letter topic empty throughout");

            // The second window opens mid-backlog, while dead letters are written.
            await Until.TrueAsync(() => rig.Handled().Distinct >= rig.Messages / 2, "half the messages handled", worker);
            var before = rig.DeadLetters().Count;
            PushProduceErrors(rig.Broker);
            await HoldWindowAsync(rig, worker, Check, expectNoDeadLetter: false);
            windows.Add($"2: from {before} dead letters to {rig.DeadLetters().Count}, {FailedSoFar(rig, worker)} failed by its end");

            var ends = rig.EndOffsets();
            await Until.TrueAsync(
                () =>
                {
                    Check();
                    return rig.Handled().Distinct == rig.Messages && rig.DeadLetters().Count == failing.Count && rig.Committed().SequenceEqual(ends);
                },
                "every message handled, every failure dead-lettered, every offset committed",
                worker);
            await worker.StopAsync(TimeSpan.FromSeconds(30));
            Assert.True(worker.ExitCode == 0, $"the worker exited with {worker.ExitCode} on SIGTERM:\n{worker.Output}");
        }
        finally
        {
            worker.Dispose();
        }

        var handled = rig.Verify();
        var dead = rig.DeadLetters();
        Assert.DoesNotContain(failing, f => !dead.ContainsKey(f));
        Assert.DoesNotContain(dead.Keys, static d => d.Sequence % FailEvery != 0);
        output.WriteLine($"windows: {string.Join("; ", windows)}");
        output.WriteLine(
            $"{rig.Messages} messages, {failing.Count} failing; {handled.Handlings} handlings, {handled.Duplicates} duplicate(s); "
            + $"{dead.Values.Sum()} dead letters ({dead.Values.Sum() - dead.Count} written twice); "
            + $"{KafkaFaultRig.Logged(worker, 1003)} dead-letter writes failed over 2 windows of {Window.TotalSeconds} s; {checks} commit checks");
    }

    private static int FailedSoFar(KafkaFaultRig rig, WorkerProcess worker) =>
        rig.Handled().HandledBy(worker.Id).Count(static h => h.Sequence % FailEvery == 0);

    private static void PushProduceErrors(EmbeddedKafkaBroker broker) =>
        broker.PushRequestErrors(KafkaApiKey.Produce, [.. Enumerable.Repeat(ProduceErrors, 200).SelectMany(static e => e)]);

    /// <summary>Keeps the Produce errors for <see cref="Window"/>, checking the commits all along, then clears them.</summary>
    private static async Task HoldWindowAsync(KafkaFaultRig rig, WorkerProcess worker, Action check, bool expectNoDeadLetter)
    {
        var end = DateTime.UtcNow + Window;
        while (DateTime.UtcNow < end)
        {
            if (worker.HasExited)
            {
                Assert.Fail($"the worker exited ({worker.ExitCode}):\n{worker.Output}");
            }

            check();
            if (expectNoDeadLetter)
            {
                Assert.True(rig.DeadLetters().Count == 0, "a dead letter was written while every Produce request failed");
            }

            await Task.Delay(100);
        }

        rig.Broker.ClearRequestErrors(KafkaApiKey.Produce);
    }
}
