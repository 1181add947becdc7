using System.Diagnostics;
using System.Globalization;
using Tmq.Nsq.Tests.Fakes;
using Tmqtool.Tests.Fakes;
using Tmqtool.Tests.Support;

namespace Tmqtool.Tests.Slow;

/// <summary>
/// The NSQ user's first day, with nothing but the installed tool: generate an NSQ worker and put
/// in a handler of one's own (it fails a message once), start <c>tmqtool dev nsq</c> as a process,
/// run the worker as a process with its default appsettings (nsqlookupd for discovery, the producer
/// on nsqd) pointed at it, send messages with <c>tmqtool produce</c>, see the handler's output, a
/// REQ retry counted by nsqd and a dead letter read back with <c>tmqtool tail</c>, replay it, stop
/// the worker with SIGTERM and see with <c>tmqtool lag</c> that nothing is left in flight. The
/// same again against a real nsqd and nsqlookupd when <c>NSQD_PATH</c> and <c>NSQLOOKUPD_PATH</c> are set.
/// </summary>
[Trait("Category", "Slow")]
[Collection(InstalledToolDefinition.Name)]
public sealed class NsqEndToEndTests(InstalledTool tool)
{
    private const string Topic = GeneratedService.Topic;
    private const string Channel = GeneratedService.Psm;
    private static readonly TimeSpan Start = TimeSpan.FromMinutes(1);
    private static readonly TimeSpan Step = TimeSpan.FromSeconds(60);

    [SlowTheory]
    [InlineData("dev")]
    [RealNsqdData]
    public async Task Tool_NsqWorker_HandlesRetriesDeadLettersAndShutsDownCleanly(string kind)
    {
        Assert.False(OperatingSystem.IsWindows(), "This test stops processes with SIGTERM.");
        var service = tool.Service("nsq", GeneratedService.FailingHandler);

        await using var broker = await Broker.StartAsync(kind, tool);
        var (nsqd, nsqdHttp, lookupd) = (broker.Nsqd, broker.NsqdHttp, broker.Lookupd);
        Process? worker = null;
        try
        {

            var metricsPort = Processes.FreePort();
            worker = StartWorker(service, lookupd, nsqd, metricsPort);
            var workerLines = new LineReader(worker);
            await workerLines.WaitForAsync(l => l.Contains("Application started", StringComparison.Ordinal), Start);

            // Keyed messages travel in the TMQ envelope and reach the handler with their key.
            var sent = Tmqtool("produce", "--nsqd", nsqd, "--topic", Topic, "--key", "order-{n}", "--value", "{\"id\":{n}}", "--header", "source=e2e", "--count", "3");
            Assert.Equal(3, sent.Split('\n').Count(l => l.StartsWith("sent orders key=order-", StringComparison.Ordinal)));
            for (var i = 1; i <= 3; i++)
            {
                await workerLines.WaitForAsync(l => l.Contains($"Handled key 'order-{i}' (attempt 1)", StringComparison.Ordinal), Step);
            }

            // A plain body (no key) that fails once goes back to nsqd (REQ) and comes again as attempt 2.
            Tmqtool("produce", "--nsqd", nsqd, "--topic", Topic, "--value", "fail-once");
            await workerLines.WaitForAsync(l => l.Contains("Handled key '' (attempt 2): fail-once", StringComparison.Ordinal), Step);

            // An envelope with a key and an empty body: a permanent failure, dead-lettered at once.
            Tmqtool("produce", "--nsqd", nsqd, "--topic", Topic, "--key", "poison", "--value", "");
            var deadLetter = Tmqtool("tail", "--nsqd", nsqd, "--topic", Topic + ".dlq", "--channel", "tmqtool-replay", "--count", "1", "--timeout", "60");
            Assert.Contains("key=poison", deadLetter, StringComparison.Ordinal);
            Assert.Contains("header tmq-dlq-original-topic=orders", deadLetter, StringComparison.Ordinal);
            Assert.Contains("header tmq-dlq-exception-type=Tmq.PermanentFailureException", deadLetter, StringComparison.Ordinal);

            // tail left it in place: the replay finds it, sends it back, and it is dead-lettered again.
            var dryRun = Tmqtool("dlq", "replay", "--nsqd", nsqd, "--topic", Topic + ".dlq", "--dry-run");
            Assert.Contains("-> orders key=poison value=", dryRun, StringComparison.Ordinal);
            Assert.Contains("would replay 1 message(s) from orders.dlq to orders (1).", dryRun, StringComparison.Ordinal);
            var replay = Tmqtool("dlq", "replay", "--nsqd", nsqd, "--topic", Topic + ".dlq");
            Assert.Contains("replayed 1 message(s) from orders.dlq to orders (1).", replay, StringComparison.Ordinal);
            var deadAgain = Tmqtool("tail", "--nsqd", nsqd, "--topic", Topic + ".dlq", "--channel", "tmqtool-replay", "--count", "1", "--timeout", "60");
            Assert.Contains("key=poison", deadAgain, StringComparison.Ordinal);

            var metrics = await Processes.ScrapeAfterDeadLetterAsync(metricsPort, Step);
            foreach (var series in new[]
            {
                "tmq_consumer_outcomes_total{", "tmq_outcome=\"success\"", "tmq_outcome=\"dead_letter\"", "tmq_outcome=\"requeue\"",
                "messaging_process_duration_seconds_bucket{", "tmq_consumer_in_flight{", "tmq_consumer_buffered{",
                "messaging_system=\"nsq\"", $"messaging_consumer_group_name=\"{Channel}\"",
            })
            {
                Assert.True(metrics.Contains(series, StringComparison.Ordinal), $"/metrics has no {series}:\n{metrics}");
            }

            // Fleet control: pause every running instance through the control topic (on every nsqd
            // lookupd lists), see a message wait in the channel, resume, and it is handled.
            var paused = Tmqtool("pause", "--service", Channel, "--lookupd", lookupd);
            Assert.Contains($"{Channel} (every consumer): Paused=true; published to tmq.control on 1 of 1 nsqd.", paused, StringComparison.Ordinal);
            Assert.Contains("NSQ keeps no state for instances that start later", paused, StringComparison.Ordinal);
            await workerLines.WaitForAsync(l => l.Contains("Consumer main: control settings are now Paused=true", StringComparison.Ordinal), Step);
            await Processes.HealthSaysAsync(metricsPort, "\"paused\": true", Step);
            Tmqtool("produce", "--nsqd", nsqd, "--topic", Topic, "--key", "while-paused", "--value", "{\"id\":9}");
            // nsqd moves a message from the topic to its channels a moment after its OK.
            var waitingUntil = DateTime.UtcNow + Step;
            string waiting;
            while (!(waiting = Tmqtool("lag", "--nsqd", nsqdHttp, "--topic", Topic, "--channel", Channel)).Contains($"topic={Topic} channel={Channel} depth=1 in_flight=0", StringComparison.Ordinal))
            {
                Assert.True(DateTime.UtcNow < waitingUntil, $"the message sent while paused did not wait in the channel:\n{waiting}");
            }
            var resumed = Tmqtool("resume", "--service", Channel, "--consumer", "main", "--lookupd", lookupd);
            Assert.Contains($"{Channel}, consumer main: Paused=false; published to tmq.control on 1 of 1 nsqd.", resumed, StringComparison.Ordinal);
            await workerLines.WaitForAsync(l => l.Contains("Handled key 'while-paused'", StringComparison.Ordinal), Step);

            // The registry: the worker's reports, heard on the status topic for --wait seconds.
            var status = Tmqtool("status", "--lookupd", lookupd, "--service", Channel, "--wait", "12");
            Assert.True(status.Contains($"    main: consuming, nsq {Topic} channel {Channel}, depth 0 over 1 nsqd connection(s)", StringComparison.Ordinal), status);
            Assert.Contains($"1 live, 0 gone, 0 stopped instance(s) of {Channel}.", status, StringComparison.Ordinal);
            Assert.Contains("control Paused=false", status, StringComparison.Ordinal);

            await Processes.StopAsync(worker, TimeSpan.FromSeconds(40));
            Assert.True(worker.ExitCode == 0, $"The worker exited with {worker.ExitCode}:\n{workerLines}");

            // Everything was finished: nothing waits in the channel or is still in flight, and nsqd counted the REQ.
            var lag = Tmqtool("lag", "--nsqd", nsqdHttp, "--topic", Topic, "--channel", Channel);
            Assert.Contains($"topic={Topic} channel={Channel} depth=0 in_flight=0", lag, StringComparison.Ordinal);
            var row = lag.Split('\n').Single(l => l.Contains(" " + Channel + " ", StringComparison.Ordinal));
            var requeued = long.Parse(row.Split(' ', StringSplitOptions.RemoveEmptyEntries)[5], CultureInfo.InvariantCulture);
            Assert.True(requeued >= 1, $"nsqd counted no REQ:\n{lag}");

            await broker.StopAsync();
        }
        finally
        {
            if (worker is { HasExited: false })
            {
                worker.Kill(entireProcessTree: true);
            }

            worker?.Dispose();
        }
    }

    [SlowTheory]
    [InlineData("dev")]
    [RealNsqdData]
    public async Task Tool_NsqWorker_WithOtlpEndpoint_ExportsEveryHopOfAMessageInOneTrace(string kind)
    {
        Assert.False(OperatingSystem.IsWindows(), "This test stops processes with SIGTERM.");
        var service = tool.Service("nsq", GeneratedService.FailingHandler);
        await using var broker = await Broker.StartAsync(kind, tool);
        using var receiver = new OtlpReceiver();
        Process? worker = null;
        try
        {
            worker = StartWorker(
                service,
                broker.Lookupd,
                broker.Nsqd,
                Processes.FreePort(),
                TracedWorker.WorkerSettings(receiver));
            var workerLines = new LineReader(worker);
            await workerLines.WaitForAsync(l => l.Contains("Application started", StringComparison.Ordinal), Start);

            // The traceparent travels in the TMQ envelope. Each attempt is a delivery of nsqd's (a REQ
            // between them); the dead letter keeps the envelope's traceparent, and so does the replay.
            var (traceId, sentFrom) = TracedWorker.NewContext();
            Tmqtool("produce", "--nsqd", broker.Nsqd, "--topic", Topic, "--key", "poison", "--value", "fail-always", "--header", $"traceparent=00-{traceId}-{sentFrom}-01");
            var deadLetter = Tmqtool("tail", "--nsqd", broker.Nsqd, "--topic", Topic + ".dlq", "--channel", "tmqtool-replay", "--count", "1", "--timeout", "60");
            Assert.Contains($"header tmq-dlq-attempts={TracedWorker.Attempts}", deadLetter, StringComparison.Ordinal);
            Assert.Contains($"header traceparent=00-{traceId}-{sentFrom}-01", deadLetter, StringComparison.Ordinal);
            await receiver.WaitForTraceAsync(traceId, s => TracedWorker.HasDeadLetterRounds(s, rounds: 1), Step);

            var replay = Tmqtool("dlq", "replay", "--nsqd", broker.Nsqd, "--topic", Topic + ".dlq");
            Assert.Contains("replayed 1 message(s) from orders.dlq to orders (1).", replay, StringComparison.Ordinal);
            var spans = await receiver.WaitForTraceAsync(traceId, s => TracedWorker.HasDeadLetterRounds(s, rounds: 2), Step);
            TracedWorker.AssertRetriedDeadLetteredReplayedAndDeadLetteredAgain(spans, Topic, "nsq", sentFrom);
            Assert.All(spans.Where(s => s.Kind == OtlpSpanKind.Consumer), s => Assert.Equal(Channel, s.Attribute("messaging.consumer.group.name")));
            Assert.All(spans.Where(s => s.Kind == OtlpSpanKind.Consumer), s => Assert.IsType<string>(s.Attribute("messaging.message.id")));

            await Processes.StopAsync(worker, TimeSpan.FromSeconds(40));
            Assert.True(worker.ExitCode == 0, $"The worker exited with {worker.ExitCode}:\n{workerLines}");
            await broker.StopAsync();
        }
        finally
        {
            if (worker is { HasExited: false })
            {
                worker.Kill(entireProcessTree: true);
            }

            worker?.Dispose();
        }
    }

    private static string After(string line) => line[(line.IndexOf(": ", StringComparison.Ordinal) + 2)..].Trim();

    /// <summary>
    /// Where the worker runs: <c>tmqtool dev nsq</c> as a process of the installed tool (on free
    /// ports), or the real nsqd and nsqlookupd (<see cref="TestBroker"/>) with the topic created,
    /// as <c>dev nsq --topic</c> does, so that nsqlookupd lists it at once.
    /// </summary>
    private sealed class Broker : IAsyncDisposable
    {
        private Process? _dev;
        private LineReader? _lines;
        private TestBroker? _real;

        public string Nsqd { get; private init; } = string.Empty;

        public string NsqdHttp { get; private init; } = string.Empty;

        public string Lookupd { get; private init; } = string.Empty;

        public static async Task<Broker> StartAsync(string kind, InstalledTool tool)
        {
            if (kind != "dev")
            {
                var real = await TestBroker.StartAsync(kind);
                await real.CreateChannelAsync(Topic, Channel);
                await real.WaitForTopicAsync(Topic);
                return new Broker { _real = real, Nsqd = real.Nsqd(), NsqdHttp = real.HttpAddress.ToString(), Lookupd = real.Lookupd() };
            }

            var process = ProcessRunner.Start(tool.Executable, ["dev", "nsq", "--tcp-port", "0", "--http-port", "0", "--lookupd-port", "0", "--topic", Topic], tool.WorkDirectory, tool.Environment);
            var lines = new LineReader(process);
            try
            {
                var nsqd = After(await lines.WaitForAsync(l => l.StartsWith("nsqd tcp: ", StringComparison.Ordinal), Start));
                var http = After(await lines.WaitForAsync(l => l.StartsWith("nsqd http: ", StringComparison.Ordinal), Start));
                var lookupd = After(await lines.WaitForAsync(l => l.StartsWith("nsqlookupd http: ", StringComparison.Ordinal), Start));
                await lines.WaitForAsync(l => l.StartsWith("Running;", StringComparison.Ordinal), Start);
                return new Broker { _dev = process, _lines = lines, Nsqd = nsqd, NsqdHttp = http, Lookupd = lookupd };
            }
            catch
            {
                process.Kill(entireProcessTree: true);
                process.Dispose();
                throw;
            }
        }

        /// <summary>Stops it as a user would: SIGTERM to <c>tmqtool dev nsq</c>, which must exit 0 saying so.</summary>
        public async Task StopAsync()
        {
            if (_dev is { } dev)
            {
                await Processes.StopAsync(dev, TimeSpan.FromSeconds(30));
                Assert.True(dev.ExitCode == 0, $"tmqtool dev nsq exited with {dev.ExitCode}:\n{_lines}");
                await _lines!.WaitForAsync(l => l == "Development nsqd stopped.", TimeSpan.FromSeconds(5));
            }
        }

        public async ValueTask DisposeAsync()
        {
            if (_dev is { HasExited: false })
            {
                _dev.Kill(entireProcessTree: true);
            }

            _dev?.Dispose();
            if (_real is not null)
            {
                await _real.DisposeAsync();
            }
        }
    }

    /// <summary>
    /// Starts the worker's Release build in Production with its appsettings.json as generated, but for
    /// the addresses: nsqlookupd for the consumer, nsqd for the producer (the dev nsqd's ports are free ones),
    /// and <paramref name="settings"/> on top.
    /// </summary>
    private static Process StartWorker(GeneratedService service, string lookupd, string nsqd, int metricsPort, params (string Name, string Value)[] settings)
    {
        var project = Path.Combine(service.Folder, "src", GeneratedService.Name);
        var environment = new Dictionary<string, string>
        {
            ["DOTNET_ENVIRONMENT"] = "Production",
            ["Tmq__Consumers__main__Nsq__Lookupd__0"] = lookupd,
            ["Tmq__Producer__Nsqd__0"] = nsqd,
            ["Metrics__Prometheus__Port"] = metricsPort.ToString(CultureInfo.InvariantCulture),
            ["Tmq__Health__Port"] = metricsPort.ToString(CultureInfo.InvariantCulture),
        };
        foreach (var (name, value) in settings)
        {
            environment[name] = value;
        }

        return ProcessRunner.Start("dotnet", [Path.Combine(project, "bin", "Release", "net10.0", GeneratedService.Name + ".dll")], project, environment);
    }

    private string Tmqtool(params string[] arguments) => tool.Run(tool.Executable, arguments, tool.WorkDirectory);
}
