using System.Globalization;
using Confluent.Kafka;
using Tmq.Kafka;
using Xunit.Abstractions;

namespace Tmq.Chaos.Tests;

/// <summary>
/// Kafka's promise under crashes: the embedded broker in the test's process, the worker a process of
/// its own, killed with SIGKILL at five random points of a 50,000-message keyed backlog and started
/// again each time, once stopped with SIGTERM between kills. Nothing is lost, each key's messages are
/// first handled in the order they were produced, and the graceful stop adds no duplicate.
/// </summary>
[Trait("Category", "Chaos")]
public sealed class KafkaCrashTests(ITestOutputHelper output)
{
    private const string Topic = "chaos";
    private const string Group = "chaos.kafka.worker";
    private const int Keys = 500;
    private const int PerKey = 100;
    private const int Messages = Keys * PerKey;
    private const int Kills = 5;
    private static readonly List<string> KeyNames = [.. Enumerable.Range(1, Keys).Select(static k => $"k{k:D3}")];

    [Fact]
    public async Task Worker_KilledFiveTimesAndStoppedOnce_LosesNothingAndKeepsEachKeysOrder()
    {
        var seed = Environment.TickCount;
        var random = new Random(seed);
        output.WriteLine($"seed {seed}");
        using var work = new TempFolder();
        using var broker = EmbeddedKafkaBroker.Start();
        broker.CreateTopic(Topic, 6);
        Produce(broker.BootstrapServers);

        var settings = new Dictionary<string, string>
        {
            ["CHAOS_DELAY_MS"] = "1",
            ["Tmq__Service"] = Group,
            ["Tmq__Consumers__main__Topic"] = Topic,
            ["Tmq__Consumers__main__Kafka__bootstrap.servers"] = broker.BootstrapServers,
            // A killed member's partitions move after its session times out: 6 s keeps the test short.
            ["Tmq__Consumers__main__Kafka__session.timeout.ms"] = "6000",
            ["Tmq__Consumers__main__Kafka__heartbeat.interval.ms"] = "1000",
        };
        var worker = WorkerProcess.Start("kafka", work.Record, settings);
        int? stoppedGracefully = null;
        int? afterGracefulStop = null;
        try
        {
            for (var kill = 1; kill <= Kills; kill++)
            {
                var target = random.Next(kill * Messages / (Kills + 2), (kill * Messages / (Kills + 2)) + (Messages / (2 * (Kills + 2))));
                await Until.TrueAsync(() => HandledMessages.Read(work.Record).Handlings >= target, $"the worker handled {target} messages before kill {kill}", worker);
                await worker.KillAsync();
                output.WriteLine($"kill {kill}: SIGKILL after {HandledMessages.Read(work.Record).Handlings} handlings");
                worker.Dispose();
                worker = WorkerProcess.Start("kafka", work.Record, settings);
                if (kill == 2)
                {
                    // Between kills, a graceful stop: everything handled is committed, so the next worker repeats nothing.
                    var handled = HandledMessages.Read(work.Record).Handlings;
                    await Until.TrueAsync(() => HandledMessages.Read(work.Record).Handlings >= handled + 1_000, "the worker handled 1,000 more messages before the graceful stop", worker);
                    stoppedGracefully = worker.Id;
                    await worker.StopAsync(TimeSpan.FromSeconds(30));
                    Assert.True(worker.ExitCode == 0, $"the worker exited with {worker.ExitCode} on SIGTERM:\n{worker.Output}");
                    worker.Dispose();
                    worker = WorkerProcess.Start("kafka", work.Record, settings);
                    afterGracefulStop = worker.Id;
                }
            }

            await Until.TrueAsync(() => HandledMessages.Read(work.Record).Distinct == Messages, "every message handled", worker, TimeSpan.FromMinutes(2));
            await worker.StopAsync(TimeSpan.FromSeconds(30));
            Assert.True(worker.ExitCode == 0, $"the last worker exited with {worker.ExitCode} on SIGTERM:\n{worker.Output}");
        }
        finally
        {
            worker.Dispose();
        }

        var result = HandledMessages.Read(work.Record);
        output.WriteLine($"{Messages} messages, {result.Handlings} handlings by {result.Processes} process(es): {result.Duplicates} duplicate(s) over {Kills} kills, {result.KeysOutOfOrder().Count} key(s) first handled out of order");
        Assert.Empty(result.Missing(KeyNames, PerKey));
        Assert.Empty(result.KeysOutOfOrder());
        // What the killed worker before it handled and did not commit may come again; what the stopped one handled may not.
        var committed = result.HandledBy(stoppedGracefully!.Value).ToHashSet();
        var repeated = result.HandledBy(afterGracefulStop!.Value).Count(committed.Contains);
        Assert.True(repeated == 0, $"the worker started after the graceful stop handled {repeated} message(s) that the stopped one had handled");
    }

    /// <summary>500 keys x 100, in order per key (idempotent producer); each value is its sequence in its key.</summary>
    private static void Produce(string bootstrapServers)
    {
        using var producer = new ProducerBuilder<string, string>(new ProducerConfig { BootstrapServers = bootstrapServers, EnableIdempotence = true, LingerMs = 5 }).Build();
        for (var sequence = 1; sequence <= PerKey; sequence++)
        {
            foreach (var key in KeyNames)
            {
                producer.Produce(Topic, new Message<string, string> { Key = key, Value = sequence.ToString(CultureInfo.InvariantCulture) });
            }
        }

        Assert.Equal(0, producer.Flush(TimeSpan.FromSeconds(60)));
    }
}
