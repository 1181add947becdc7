using System.Collections.Concurrent;
using System.Globalization;
using Tmq.Kafka.Tests.Fakes;

namespace Tmq.Kafka.Tests.Consumer;

/// <summary>
/// A rolling deploy: a new member joins and the oldest one is stopped while the group is still
/// moving partitions to the newcomer, round after round. The stopping member's commit meets a
/// rebalance and its close meets rebalance callbacks still on their way.
/// </summary>
public sealed class KafkaConsumerHandoverTests
{
    private const int Rounds = 5;
    private const int MessagesPerRound = 60;
    private const int RevokedEvent = 2003;
    private const int LibrdkafkaEvent = 2008;

    [Theory]
    [InlineData("classic")]
    [InlineData("consumer")]
    public async Task RollingDeploy_OldestStoppedMidRebalance_LeavesCleanlyAndLosesNothing(string protocol)
    {
        using var broker = EmbeddedKafkaBroker.Start(3);
        broker.CreateTopic("rolling", 6, replicationFactor: 1);
        var group = "rolling-" + protocol;
        var settings = new Dictionary<string, string?> { ["Tmq:Consumers:main:Kafka:auto.commit.interval.ms"] = "100" };
        TmqKafkaService.UseGroupProtocol(settings, protocol);

        var handled = new ConcurrentDictionary<string, int>();
        var handler = new DelegateHandler((message, _) =>
        {
            handled.AddOrUpdate(message.ValueAsString(), 1, static (_, n) => n + 1);
            return Task.CompletedTask;
        });
        var logs = new List<LogCapture>();
        var members = new Queue<(TmqKafkaService Service, LogCapture Logs)>();

        // Members log librdkafka's group debug events, so the test can see a newcomer's JoinGroup go out.
        settings["Tmq:Consumers:main:Kafka:debug"] = "cgrp";

        async Task<(TmqKafkaService, LogCapture)> StartMemberAsync()
        {
            var capture = new LogCapture { Debug = true };
            logs.Add(capture);
            return (await TmqKafkaService.StartAsync(broker, "rolling", group, handler, settings, logs: capture), capture);
        }

        async Task ProduceRoundAsync(int round)
        {
            var first = round * MessagesPerRound;
            await KafkaConsumerBasicsTests.ProduceAsync(
                broker,
                "rolling",
                Enumerable.Range(first, MessagesPerRound).Select(i => ($"key-{i % 12}", i.ToString(CultureInfo.InvariantCulture))));
        }

        Task AllHandledAsync(int rounds) => Eventually.TrueAsync(
            () => handled.Count == rounds * MessagesPerRound,
            TimeSpan.FromSeconds(60),
            $"{rounds * MessagesPerRound} messages were not all handled");

        try
        {
            members.Enqueue(await StartMemberAsync());
            members.Enqueue(await StartMemberAsync());
            await ProduceRoundAsync(0);
            await AllHandledAsync(1);
            for (var round = 1; round <= Rounds; round++)
            {
                await ProduceRoundAsync(round);
                var (oldest, oldestLogs) = members.Dequeue();
                var revokesBefore = oldestLogs.Events.Count(e => e.EventId == RevokedEvent);
                var (newcomer, newcomerLogs) = await StartMemberAsync();
                members.Enqueue((newcomer, newcomerLogs));

                // Stop the oldest as soon as the newcomer asks to join (classic protocol), so that
                // the oldest's shutdown runs through the whole rebalance: commits refused, revoke,
                // the assignment after it. Under KIP-848, or if the join was missed, as soon as the
                // group moves partitions.
                await Eventually.TrueAsync(
                    () => 
                        newcomerLogs.Events.Any(e => e.EventId == LibrdkafkaEvent && e.Message.Contains("Joining group", StringComparison.Ordinal)) ||
                        oldestLogs.Events.Count(e => e.EventId == RevokedEvent) > revokesBefore ||
                        newcomer.Status.Assigned > 0,
                    TimeSpan.FromSeconds(30),
                    $"round {round}: the group never rebalanced for the new member");
                await oldest.DisposeAsync();
                await AllHandledAsync(round + 1);
            }
        }
        finally
        {
            while (members.TryDequeue(out var member))
            {
                await member.Service.DisposeAsync();
            }
        }

        // Stopped members that did not leave cleanly would show here: a shutdown past the host's
        // timeout (2014), an abandoned client (2017), a failed loop (2013) or a fatal error (2007).
        // A librdkafka abort during close ends the test process instead.
        var failures = logs.SelectMany(l => l.Events).Where(e => e.EventId is 2007 or 2013 or 2014 or 2017).Select(e => e.Message).ToList();
        Assert.True(failures.Count == 0, "a member did not leave cleanly: " + string.Join(" | ", failures));
        Assert.Equal((Rounds + 1) * MessagesPerRound, handled.Count);

        // Under KIP-848 the group accepts commits during a rebalance, so every member that left
        // committed what it handled. The mock refuses commits while a classic group rebalances
        // (see EmbeddedKafkaBroker's remarks): there a refused commit means redelivery only.
        if (protocol == "consumer")
        {
            Assert.Equal((Rounds + 1) * MessagesPerRound, KafkaConsumerBasicsTests.CommittedTotal(broker, "rolling", group, 6));
        }
    }
}
