using System.Globalization;
using System.Text;
using Tmq.Nsq;
using Tmq.Nsq.Envelope;
using Xunit.Abstractions;

namespace Tmq.Chaos.Tests;

/// <summary>
/// NSQ's promise under crashes: the worker, a process of its own, is killed with SIGKILL while it
/// handles a keyed backlog and started again; every message is handled in the end, nothing is lost,
/// and the messages a killed worker held come back after msg_timeout. NSQ promises no order across
/// a crash (a redelivered message may come after later ones of its key), so order is reported, not held.
/// </summary>
[Trait("Category", "Chaos")]
public sealed class NsqCrashTests(ITestOutputHelper output)
{
    private const string Topic = "chaos";
    private const string Channel = "chaos-worker";
    private const int Keys = 200;
    private const int PerKey = 100;
    private static readonly TimeSpan Deadline = TimeSpan.FromMinutes(2);

    [Fact]
    public async Task Worker_KilledThreeTimesMidBacklog_HandlesEveryMessage()
    {
        var seed = Environment.TickCount;
        var random = new Random(seed);
        output.WriteLine($"seed {seed}");
        using var work = new TempFolder();
        var record = Path.Combine(work.Path, "handled.txt");
        await using var nsqd = await DevNsqd.StartAsync();
        var settings = new Dictionary<string, string>
        {
            ["Tmq__Service"] = "chaos.nsq.worker",
            ["Tmq__Consumers__main__Topic"] = Topic,
            ["Tmq__Consumers__main__Channel"] = Channel,
            ["Tmq__Consumers__main__Nsq__Nsqd__0"] = $"127.0.0.1:{nsqd.TcpEndPoint.Port}",
            // A killed worker's messages come back after msg_timeout: 2 s keeps the test short.
            ["Tmq__Consumers__main__Nsq__MsgTimeout"] = "00:00:02",
            ["Tmq__Consumers__main__Nsq__DepthPollInterval"] = "00:00:00",
        };
        var keys = Enumerable.Range(1, Keys).Select(static k => $"k{k:D3}").ToList();

        var worker = WorkerProcess.Start("nsq", record, settings);
        try
        {
            await UntilAsync(() => nsqd.GetChannelStats(Topic, Channel) is { ClientCount: 1 }, "the worker subscribed", worker);
            for (var sequence = 1; sequence <= PerKey; sequence++)
            {
                foreach (var key in keys)
                {
                    await nsqd.PublishAsync(Topic, TmqEnvelope.Wrap(Encoding.UTF8.GetBytes(key), null, Encoding.UTF8.GetBytes(sequence.ToString(CultureInfo.InvariantCulture))));
                }
            }

            // Three kills, each once the record has grown by a random share of the backlog.
            for (var kill = 1; kill <= 3; kill++)
            {
                var target = HandledMessages.Read(record).Handlings + random.Next(Keys * PerKey / 20, Keys * PerKey / 6);
                await UntilAsync(() => HandledMessages.Read(record).Handlings >= target, $"the worker handled {target} messages before kill {kill}", worker);
                await worker.KillAsync();
                output.WriteLine($"kill {kill}: SIGKILL after {HandledMessages.Read(record).Handlings} handlings");
                worker.Dispose();
                worker = WorkerProcess.Start("nsq", record, settings);
            }

            await UntilAsync(() => HandledMessages.Read(record).Distinct == Keys * PerKey, "every message handled", worker, Deadline);
            await worker.StopAsync(TimeSpan.FromSeconds(30));
            Assert.True(worker.ExitCode == 0, $"the last worker exited with {worker.ExitCode} on SIGTERM:\n{worker.Output}");
        }
        finally
        {
            worker.Dispose();
        }

        var handled = HandledMessages.Read(record);
        output.WriteLine($"{Keys * PerKey} messages, {handled.Handlings} handlings by {handled.Processes} processes: {handled.Duplicates} duplicate(s), {handled.Redelivered} redelivered, {handled.KeysOutOfOrder().Count} key(s) first handled out of order");
        Assert.Empty(handled.Missing(keys, PerKey));
        Assert.True(handled.Redelivered > 0, "no message came back after a kill: the kills landed where nothing was in flight, so this run proved nothing");
        var left = nsqd.GetChannelStats(Topic, Channel);
        Assert.True(left is { Depth: 0, InFlightCount: 0, DeferredCount: 0 }, $"the channel still holds messages after the last worker stopped: {left}");
    }

    private static async Task UntilAsync(Func<bool> condition, string what, WorkerProcess worker, TimeSpan? limit = null)
    {
        var deadline = DateTime.UtcNow + (limit ?? TimeSpan.FromSeconds(60));
        while (!condition())
        {
            if (worker.HasExited)
            {
                Assert.Fail($"the worker exited ({worker.ExitCode}) before {what}:\n{worker.Output}");
            }

            if (DateTime.UtcNow > deadline)
            {
                Assert.Fail($"not within the time limit: {what}.\n{worker.Output}");
            }

            await Task.Delay(20);
        }
    }

    private sealed class TempFolder : IDisposable
    {
        public string Path { get; } = Directory.CreateTempSubdirectory("tmq-chaos-").FullName;

        public void Dispose() => Directory.Delete(Path, recursive: true);
    }
}
