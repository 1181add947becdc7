using System.Globalization;
using System.Text;
using Tmq.Nsq;
using Tmq.Nsq.Envelope;
using Tmq.Nsq.Tests.Fakes;
using Xunit.Abstractions;

namespace Tmq.Chaos.Tests;

/// <summary>
/// NSQ's promise under crashes, with the worker a process of its own against the dev nsqd and (when
/// <c>NSQD_PATH</c> is set) a real one: killed with SIGKILL while it handles a keyed backlog and
/// started again, or running while nsqd stops and starts again, the worker handles every message in
/// the end; what it held comes back after msg_timeout. NSQ promises no order across a crash (a
/// redelivered message may come after later ones of its key), so order is reported, not held.
/// </summary>
[Trait("Category", "Chaos")]
public sealed class NsqCrashTests(ITestOutputHelper output)
{
    private const string Topic = "chaos";
    private const string Channel = "chaos-worker";
    private const int Keys = 200;
    private const int PerKey = 100;
    private const int Messages = Keys * PerKey;
    private static readonly TimeSpan Deadline = TimeSpan.FromMinutes(2);
    private static readonly List<string> KeyNames = [.. Enumerable.Range(1, Keys).Select(static k => $"k{k:D3}")];

    [Theory]
    [MemberData(nameof(TestBroker.Kinds), MemberType = typeof(TestBroker))]
    public async Task Worker_KilledThreeTimesMidBacklog_HandlesEveryMessage(string kind)
    {
        var random = Seeded();
        using var work = new TempFolder();
        await using var broker = await TestBroker.StartAsync(kind);
        var worker = WorkerProcess.Start("nsq", work.Record, Settings(broker));
        try
        {
            await PublishBacklogAsync(broker, worker);

            // Three kills at random points of the backlog: the first within 20-30% of it, then 40-50%, 60-70%.
            for (var kill = 1; kill <= 3; kill++)
            {
                var target = random.Next(kill * Messages / 5, (kill * Messages / 5) + (Messages / 10));
                await Until.TrueAsync(() => HandledMessages.Read(work.Record).Handlings >= target, $"the worker handled {target} messages before kill {kill}", worker);
                await worker.KillAsync();
                output.WriteLine($"kill {kill}: SIGKILL after {HandledMessages.Read(work.Record).Handlings} handlings");
                worker.Dispose();
                worker = WorkerProcess.Start("nsq", work.Record, Settings(broker));
            }

            await FinishAsync(broker, worker, work);
        }
        finally
        {
            worker.Dispose();
        }

        Assert.True(HandledMessages.Read(work.Record).Redelivered > 0, "no message came back after a kill: the kills landed where nothing was in flight, so this run proved nothing");
    }

    /// <summary>The real nsqd only: the dev nsqd keeps nothing on disk, so a restart empties it by design.</summary>
    [RealNsqdFact]
    public async Task Nsqd_StoppedAndStartedUnderLoad_WorkerHandlesEveryMessage()
    {
        var random = Seeded();
        using var work = new TempFolder();
        await using var broker = await TestBroker.StartAsync("real");
        var worker = WorkerProcess.Start("nsq", work.Record, Settings(broker));
        try
        {
            await PublishBacklogAsync(broker, worker);
            for (var restart = 1; restart <= 2; restart++)
            {
                var target = random.Next(restart * Messages / 4, (restart * Messages / 4) + (Messages / 10));
                await Until.TrueAsync(() => HandledMessages.Read(work.Record).Handlings >= target, $"the worker handled {target} messages before restart {restart}", worker);

                // Gracefully: nsqd writes what it holds in memory and in flight to its data folder, and reads it back.
                await broker.StopAsync();
                output.WriteLine($"restart {restart}: nsqd stopped after {HandledMessages.Read(work.Record).Handlings} handlings");
                await broker.StartAgainAsync();
            }

            await FinishAsync(broker, worker, work);
        }
        finally
        {
            worker.Dispose();
        }
    }

    private Random Seeded()
    {
        var seed = Environment.TickCount;
        output.WriteLine($"seed {seed}");
        return new Random(seed);
    }

    private static Dictionary<string, string> Settings(TestBroker broker) => new()
    {
        ["CHAOS_DELAY_MS"] = "5",
        ["Tmq__Service"] = "chaos.nsq.worker",
        ["Tmq__Consumers__main__Topic"] = Topic,
        ["Tmq__Consumers__main__Channel"] = Channel,
        ["Tmq__Consumers__main__Nsq__Nsqd__0"] = broker.TcpAddress,
        // A killed worker's messages come back after msg_timeout: 2 s keeps the test short.
        ["Tmq__Consumers__main__Nsq__MsgTimeout"] = "00:00:02",
        ["Tmq__Consumers__main__Nsq__ReconnectDelay"] = "00:00:00.100",
        ["Tmq__Consumers__main__Nsq__MaxReconnectDelay"] = "00:00:01",
        ["Tmq__Consumers__main__Nsq__DepthPollInterval"] = "00:00:00",
    };

    /// <summary>Once the worker has subscribed (so the channel takes every message): 200 keys x 100, each an envelope whose value is its sequence in its key.</summary>
    private static async Task PublishBacklogAsync(TestBroker broker, WorkerProcess worker)
    {
        await Until.TrueAsync(async () => await broker.ChannelAsync(Topic, Channel) is { Clients: 1 }, "the worker subscribed", worker);
        await using var producer = new NsqProducer(new NsqProducerOptions { Nsqd = [broker.TcpAddress] }, "chaos-producer", logger: null, metrics: null);
        for (var sequence = 1; sequence <= PerKey; sequence++)
        {
            var value = Encoding.UTF8.GetBytes(sequence.ToString(CultureInfo.InvariantCulture));
            await producer.PublishAsync(Topic, [.. KeyNames.Select(k => (ReadOnlyMemory<byte>)TmqEnvelope.Wrap(Encoding.UTF8.GetBytes(k), null, value))]);
        }
    }

    /// <summary>Waits until every message was handled, stops the worker with SIGTERM, and checks what the record and the channel say.</summary>
    private async Task FinishAsync(TestBroker broker, WorkerProcess worker, TempFolder work)
    {
        await Until.TrueAsync(() => HandledMessages.Read(work.Record).Distinct == Messages, "every message handled", worker, Deadline);

        // A message a killed worker handled but could not FIN is still in flight to it until
        // msg_timeout; it comes back, is handled again (a duplicate), and only then is the channel empty.
        await Until.TrueAsync(async () => await broker.ChannelAsync(Topic, Channel) is { Depth: 0, InFlight: 0 }, "the channel emptied", worker, Deadline);
        await worker.StopAsync(TimeSpan.FromSeconds(30));
        Assert.True(worker.ExitCode == 0, $"the last worker exited with {worker.ExitCode} on SIGTERM:\n{worker.Output}");

        var handled = HandledMessages.Read(work.Record);
        output.WriteLine($"{Messages} messages, {handled.Handlings} handlings by {handled.Processes} process(es): {handled.Duplicates} duplicate(s), {handled.Redelivered} redelivered, {handled.KeysOutOfOrder().Count} key(s) first handled out of order");
        Assert.Empty(handled.Missing(KeyNames, PerKey));
        var left = await broker.ChannelAsync(Topic, Channel);
        Assert.True(left is { Depth: 0, InFlight: 0 }, $"the channel still holds messages after the last worker stopped: {left}");
    }
}
