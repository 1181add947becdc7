using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using Tmqtool.Tests.Support;

namespace Tmqtool.Tests.Slow;

/// <summary>
/// The user's first day, with nothing but the installed tool: generate a Kafka worker, start the
/// embedded broker with <c>tmqtool dev kafka</c>, run the worker as a process, send keyed messages
/// and a poison one with <c>tmqtool produce</c>, see the handler's output, read the dead letter
/// back with <c>tmqtool tail</c>, stop the worker with SIGTERM and see with <c>tmqtool lag</c>
/// that everything was committed, then stop the broker with SIGTERM. On the way, the worker's
/// Prometheus endpoint must serve the series that the generated alert rules and dashboard query.
/// </summary>
[Trait("Category", "Slow")]
[Collection(InstalledToolDefinition.Name)]
public sealed class EndToEndTests(InstalledTool tool)
{
    private const string Topic = GeneratedService.Topic;
    private const string Group = GeneratedService.Psm;
    private static readonly TimeSpan Start = TimeSpan.FromMinutes(3);
    private static readonly TimeSpan Step = TimeSpan.FromSeconds(60);

    [SlowFact]
    public async Task Tool_KafkaWorker_HandlesMessagesAndShutsDownCleanly()
    {
        Assert.False(OperatingSystem.IsWindows(), "This test stops processes with SIGTERM.");
        var service = tool.Service("kafka");
        var bootstrapFile = Path.Combine(tool.WorkDirectory, "bootstrap.txt");

        using var broker = ProcessRunner.Start(tool.Executable, ["dev", "kafka", "--topic", Topic + ":3", "--topic", Topic + ".dlq:1", "--bootstrap-file", bootstrapFile], tool.WorkDirectory, tool.Environment);
        var brokerLines = new LineReader(broker);
        Process? worker = null;
        try
        {
            var bootstrap = (await brokerLines.WaitForAsync(l => l.StartsWith("bootstrap.servers=", StringComparison.Ordinal), Start))["bootstrap.servers=".Length..];
            Assert.Equal(bootstrap + "\n", await File.ReadAllTextAsync(bootstrapFile));

            var metricsPort = Processes.FreePort();
            worker = StartWorker(service, bootstrap, metricsPort);
            var workerLines = new LineReader(worker);

            var sent = Tmqtool("produce", "--bootstrap-servers", bootstrap, "--topic", Topic, "--key", "order-{n}", "--value", "{\"id\":{n}}", "--header", "source=e2e", "--count", "3");
            Assert.Equal(3, sent.Split('\n').Count(l => l.StartsWith("sent orders[", StringComparison.Ordinal)));
            for (var i = 1; i <= 3; i++)
            {
                await workerLines.WaitForAsync(l => l.Contains($"key 'order-{i}'", StringComparison.Ordinal), Step);
            }

            // The generated handler refuses an empty body as a permanent failure: dead-lettered at once.
            Tmqtool("produce", "--bootstrap-servers", bootstrap, "--topic", Topic, "--key", "empty", "--value", "");
            var deadLetter = Tmqtool("tail", "--bootstrap-servers", bootstrap, "--topic", Topic + ".dlq", "--from-beginning", "--count", "1", "--timeout", "60");
            Assert.Contains("key=empty", deadLetter, StringComparison.Ordinal);
            Assert.Contains("header tmq-dlq-original-topic=orders", deadLetter, StringComparison.Ordinal);
            Assert.Contains("header tmq-dlq-exception-type=Tmq.PermanentFailureException", deadLetter, StringComparison.Ordinal);

            // Replayed, the message goes back to orders and, still empty, is dead-lettered again; the
            // next replay starts after what the first one committed.
            var dryRun = Tmqtool("dlq", "replay", "--bootstrap-servers", bootstrap, "--topic", Topic + ".dlq", "--dry-run");
            Assert.Contains("would replay orders.dlq[0]@0 -> orders key=empty", dryRun, StringComparison.Ordinal);
            var replay = Tmqtool("dlq", "replay", "--bootstrap-servers", bootstrap, "--topic", Topic + ".dlq");
            Assert.Contains("replayed 1 message(s) from orders.dlq to orders (1).", replay, StringComparison.Ordinal);
            var deadAgain = Tmqtool("tail", "--bootstrap-servers", bootstrap, "--topic", Topic + ".dlq", "--from-beginning", "--count", "2", "--timeout", "60");
            Assert.Contains("orders.dlq[0]@1 key=empty", deadAgain, StringComparison.Ordinal);
            var next = Tmqtool("dlq", "replay", "--bootstrap-servers", bootstrap, "--topic", Topic + ".dlq", "--dry-run");
            Assert.Contains("orders.dlq: 1 message(s) to replay", next, StringComparison.Ordinal);
            Assert.Contains("would replay orders.dlq[0]@1 -> orders key=empty", next, StringComparison.Ordinal);

            var metrics = await Processes.ScrapeAfterDeadLetterAsync(metricsPort, Step);
            foreach (var series in new[]
            {
                "tmq_consumer_outcomes_total{", "tmq_outcome=\"success\"", "tmq_outcome=\"dead_letter\"",
                "messaging_process_duration_seconds_bucket{", "messaging_client_consumed_messages_total{",
                "tmq_consumer_in_flight{", "tmq_consumer_buffered{", "tmq_consumer_paused{", "tmq_consumer_lag{",
                "tmq_consumer_rebalances_total{", $"messaging_consumer_group_name=\"{Group}\"",
            })
            {
                Assert.True(metrics.Contains(series, StringComparison.Ordinal), $"/metrics has no {series}:\n{metrics}");
            }

            // The health endpoint shares the metrics port (as generated: both 9464), each on its own path.
            using (var http = new HttpClient { Timeout = TimeSpan.FromSeconds(10) })
            using (var health = await http.GetAsync(new Uri($"http://localhost:{metricsPort.ToString(CultureInfo.InvariantCulture)}/healthz")))
            {
                var report = await health.Content.ReadAsStringAsync();
                Assert.True(health.StatusCode == HttpStatusCode.OK, $"/healthz answered {health.StatusCode}:\n{report}");
                Assert.Contains("\"tmq-consumer-main\"", report, StringComparison.Ordinal);
                Assert.Contains("\"status\": \"Healthy\"", report, StringComparison.Ordinal);
            }

            // Fleet control: pause every instance of the service through the control topic, see it in
            // /healthz, resume, then drop what was set. The dev broker has no CreateTopics: the first
            // message creates the topic (4 partitions, uncompacted), and the tool says so.
            var paused = Tmqtool("pause", "--service", Group, "--bootstrap-servers", bootstrap);
            Assert.Contains("warning: the control topic tmq.control does not exist and could not be created", paused, StringComparison.Ordinal);
            Assert.Contains($"{Group} (every consumer): Paused=true; written to tmq.control[", paused, StringComparison.Ordinal);
            await workerLines.WaitForAsync(l => l.Contains("Consumer main: control settings are now Paused=true", StringComparison.Ordinal), Step);
            await Processes.HealthSaysAsync(metricsPort, "\"paused\": true", Step);
            var resumed = Tmqtool("set", "--service", Group, "--consumer", "main", "--bootstrap-servers", bootstrap, "Paused=false", "Concurrency=4");
            Assert.Contains($"{Group}, consumer main: Concurrency=4, Paused=false; written to tmq.control[", resumed, StringComparison.Ordinal);
            Assert.DoesNotContain("warning:", resumed, StringComparison.Ordinal);
            await workerLines.WaitForAsync(l => l.Contains("Consumer main: control settings are now Concurrency=4, Paused=false", StringComparison.Ordinal), Step);
            await Processes.HealthSaysAsync(metricsPort, "\"paused\": false", Step);
            Tmqtool("set", "--service", Group, "--consumer", "main", "--bootstrap-servers", bootstrap, "--clear");
            var cleared = Tmqtool("set", "--service", Group, "--bootstrap-servers", bootstrap, "--clear");
            Assert.Contains($"{Group} (every consumer): no settings (appsettings.json applies); written to tmq.control[", cleared, StringComparison.Ordinal);
            await workerLines.WaitForAsync(l => l.Contains("Consumer main: no control settings any more", StringComparison.Ordinal), Step);
            Tmqtool("produce", "--bootstrap-servers", bootstrap, "--topic", Topic, "--key", "order-after-control", "--value", "{\"id\":9}");
            await workerLines.WaitForAsync(l => l.Contains("key 'order-after-control'", StringComparison.Ordinal), Step);

            // The registry: the worker reports itself to the status topic (every 5 s: a report may
            // predate the last message handled).
            var status = TmqtoolUntil(o => o.Contains(" success 4 ", StringComparison.Ordinal), "status", "--bootstrap-servers", bootstrap, "--service", Group);
            Assert.Contains($"{Group}: no owner (set Tmq:Owner:Name)", status, StringComparison.Ordinal);
            Assert.True(status.Contains($"    main: consuming, kafka {Topic} group {Group}, lag 0 over 3 partition(s), in flight 0, buffered 0; success 4 ", StringComparison.Ordinal), status);
            Assert.Contains("1 live, 0 gone, 0 stopped instance(s) of " + Group + ".", status, StringComparison.Ordinal);

            // Every series of the consumer carries the messaging system, the engine's as well as the transport's.
            foreach (var name in new[] { "tmq_consumer_outcomes_total{", "messaging_process_duration_seconds_count{", "tmq_consumer_lag{" })
            {
                var line = metrics.Split('\n').First(l => l.StartsWith(name, StringComparison.Ordinal));
                Assert.Contains("messaging_system=\"kafka\"", line, StringComparison.Ordinal);
            }

            await Processes.StopAsync(worker, TimeSpan.FromSeconds(40));
            Assert.True(worker.ExitCode == 0, $"The worker exited with {worker.ExitCode}:\n{workerLines}");
            Assert.Contains(workerLines.Lines, l => l.Contains("Application is shutting down", StringComparison.Ordinal));

            var stopped = TmqtoolUntil(o => o.Contains(" stopped instance", StringComparison.Ordinal), "status", "--bootstrap-servers", bootstrap);
            Assert.Contains("0 live, 0 gone, 1 stopped instance(s).", stopped, StringComparison.Ordinal);

            var lag = Tmqtool("lag", "--bootstrap-servers", bootstrap, "--topic", Topic, "--group", Group);
            Assert.Contains($"group={Group} topic={Topic} committed=6 lag=0", lag, StringComparison.Ordinal);
            var neverCommitted = Tmqtool("lag", "--bootstrap-servers", bootstrap, "--topic", Topic, "--group", "nobody");
            Assert.Contains($"group=nobody topic={Topic} committed=none lag=6", neverCommitted, StringComparison.Ordinal);
            Assert.Contains("note: group nobody has committed nothing", neverCommitted, StringComparison.Ordinal);
            Assert.DoesNotContain("note:", lag, StringComparison.Ordinal);

            // tail waits for a topic to appear, but says that it does not exist.
            var (tailExit, tailOutput) = ProcessRunner.Run(
                tool.Executable, ["tail", "--bootstrap-servers", bootstrap, "--topic", "nosuchtopic", "--count", "1", "--timeout", "10"], tool.WorkDirectory, InstalledTool.Limit, tool.Environment);
            Assert.Equal(1, tailExit);
            Assert.Contains($"warning: topic nosuchtopic does not exist at {bootstrap}; waiting for it to be created.", tailOutput, StringComparison.Ordinal);

            // A send to brokers that refuse the connection says so, not only that it timed out.
            var (produceExit, produceOutput) = ProcessRunner.Run(
                tool.Executable, ["produce", "--bootstrap-servers", "127.0.0.1:1", "--topic", Topic, "--value", "x", "--timeout", "3"], tool.WorkDirectory, InstalledTool.Limit, tool.Environment);
            Assert.Equal(1, produceExit);
            Assert.Contains("Local: Message timed out. The brokers were not reached: ", produceOutput, StringComparison.Ordinal);
            Assert.Contains("Connection refused", produceOutput, StringComparison.Ordinal);

            await Processes.StopAsync(broker, TimeSpan.FromSeconds(30));
            Assert.True(broker.ExitCode == 0, $"tmqtool dev kafka exited with {broker.ExitCode}:\n{brokerLines}");
            await brokerLines.WaitForAsync(l => l == "Embedded Kafka broker stopped.", TimeSpan.FromSeconds(5));
            Assert.False(File.Exists(bootstrapFile), "The bootstrap file outlived the broker.");
        }
        finally
        {
            foreach (var process in new[] { worker, broker })
            {
                if (process is { HasExited: false })
                {
                    process.Kill(entireProcessTree: true);
                }
            }

            worker?.Dispose();
        }
    }

    [SlowFact]
    public async Task Tool_KafkaWorker_WithOtlpEndpoint_ExportsEveryHopOfAMessageInOneTraceAndTraceFindsThem()
    {
        Assert.False(OperatingSystem.IsWindows(), "This test stops processes with SIGTERM.");
        var service = tool.Service("kafka", GeneratedService.FailingHandler);
        using var broker = ProcessRunner.Start(tool.Executable, ["dev", "kafka", "--topic", Topic + ":3", "--topic", Topic + ".dlq:1"], tool.WorkDirectory, tool.Environment);
        var brokerLines = new LineReader(broker);
        using var receiver = new OtlpReceiver();
        Process? worker = null;
        try
        {
            var bootstrap = (await brokerLines.WaitForAsync(l => l.StartsWith("bootstrap.servers=", StringComparison.Ordinal), Start))["bootstrap.servers=".Length..];
            worker = StartWorker(
                service,
                bootstrap,
                Processes.FreePort(),
                TracedWorker.WorkerSettings(receiver));
            var workerLines = new LineReader(worker);
            await workerLines.WaitForAsync(l => l.Contains("Application started", StringComparison.Ordinal), Start);

            // A message sent with a trace context: the consumer continues that trace, under the sender's span.
            var (traceId, sentFrom) = TracedWorker.NewContext();
            Tmqtool("produce", "--bootstrap-servers", bootstrap, "--topic", Topic, "--key", "traced", "--value", "{\"id\":1}", "--header", $"traceparent=00-{traceId}-{sentFrom}-01");

            await workerLines.WaitForAsync(l => l.Contains("key 'traced'", StringComparison.Ordinal), Step);
            await workerLines.WaitForAsync(l => l.Contains($"TraceId:{traceId}", StringComparison.Ordinal), Step);
            var handled = Assert.Single(await receiver.WaitForTraceAsync(traceId, s => s.Count > 0, Step));
            Assert.Equal(($"process {Topic}", OtlpSpanKind.Consumer, sentFrom, OtlpStatusCode.Unset), (handled.Name, handled.Kind, handled.ParentSpanId, handled.Status));
            Assert.Equal("kafka", handled.Attribute("messaging.system"));
            Assert.Equal(Group, handled.Attribute("messaging.consumer.group.name"));
            Assert.Equal(1L, handled.Attribute("messaging.message.delivery_attempt"));

            // A message of another trace that fails every attempt: dead-lettered, replayed, dead-lettered
            // again. tmqtool trace finds all four hops by their traceparent, without a tracing backend;
            // the OTLP export has every attempt and both dead-letter writes in that one trace.
            var (poison, poisonSentFrom) = TracedWorker.NewContext();
            Tmqtool("produce", "--bootstrap-servers", bootstrap, "--topic", Topic, "--key", "poison", "--value", "fail-always", "--header", $"traceparent=00-{poison}-{poisonSentFrom}-01");
            Tmqtool("tail", "--bootstrap-servers", bootstrap, "--topic", Topic + ".dlq", "--from-beginning", "--count", "1", "--timeout", "60");
            Tmqtool("dlq", "replay", "--bootstrap-servers", bootstrap, "--topic", Topic + ".dlq");
            Tmqtool("tail", "--bootstrap-servers", bootstrap, "--topic", Topic + ".dlq", "--from-beginning", "--count", "2", "--timeout", "60");
            var trace = Tmqtool("trace", poison, "--topic", Topic, "--bootstrap-servers", bootstrap);
            Assert.True(trace.Contains($"4 message(s) of trace {poison} in {Topic} and {Topic}.dlq, the last 3600 s.", StringComparison.Ordinal), trace);
            Assert.True(trace.Contains($" {Topic}.dlq[0]@0 key=poison dead letter of {Topic}[", StringComparison.Ordinal), trace);
            Assert.True(trace.Contains($" {Topic}.dlq[0]@1 key=poison dead letter of {Topic}[", StringComparison.Ordinal), trace);
            Assert.Equal(2, trace.Split('\n').Count(l => l.Contains($" {Topic}[", StringComparison.Ordinal) && l.Contains("key=poison traceparent=", StringComparison.Ordinal)));
            var spans = await receiver.WaitForTraceAsync(poison, s => TracedWorker.HasDeadLetterRounds(s, rounds: 2), Step);
            TracedWorker.AssertRetriedDeadLetteredReplayedAndDeadLetteredAgain(spans, Topic, "kafka", poisonSentFrom);

            var (missingExit, missing) = ProcessRunner.Run(
                tool.Executable, ["trace", TracedWorker.NewContext().TraceId, "--topic", Topic, "--bootstrap-servers", bootstrap], tool.WorkDirectory, InstalledTool.Limit, tool.Environment);
            Assert.Equal(1, missingExit);
            Assert.Contains("error: no message of trace", missing, StringComparison.Ordinal);

            await Processes.StopAsync(worker, TimeSpan.FromSeconds(40));
            Assert.True(worker.ExitCode == 0, $"The worker exited with {worker.ExitCode}:\n{workerLines}");
        }
        finally
        {
            foreach (var process in new[] { worker, broker })
            {
                if (process is { HasExited: false })
                {
                    process.Kill(entireProcessTree: true);
                }
            }

            worker?.Dispose();
        }
    }

    [SlowFact]
    public async Task Tool_KafkaWorker_BadSetting_ExitsWithCode1NamingIt()
    {
        var (exitCode, lines) = await RunUntilExitAsync(StartWorker(tool.Service("kafka"), "127.0.0.1:9", metricsPort: 0, ("Tmq__Consumers__main__Concurrency", "-1")));

        // Exit code 1 and the host's log of the setting; not the runtime's abort (134) on an unhandled exception.
        await lines.WaitForAsync(l => l.Contains("Tmq:Consumers:main:Concurrency is -1; it must be between 1 and", StringComparison.Ordinal), Step);
        Assert.True(exitCode == 1, $"The worker exited with {exitCode}:\n{lines}");
        Assert.DoesNotContain(lines.Lines, l => l.Contains("Unhandled exception", StringComparison.Ordinal));

        // The message is the whole report: no stack frames after it.
        Assert.DoesNotContain(lines.Lines, l => l.TrimStart().StartsWith("at ", StringComparison.Ordinal));
    }

    [SlowFact]
    public async Task Tool_KafkaWorker_PortInUse_ExitsWithCode1SayingSo()
    {
        using var holder = new TcpListener(IPAddress.Any, 0);
        holder.Start();
        var port = ((IPEndPoint)holder.LocalEndpoint).Port.ToString(CultureInfo.InvariantCulture);

        // As generated, metrics and health on one port (a second instance of the service): the health
        // endpoint takes it first, and its message names both settings.
        var both = await RunUntilExitAsync(StartWorker(tool.Service("kafka"), "127.0.0.1:9", metricsPort: int.Parse(port, CultureInfo.InvariantCulture)));
        await both.Lines.WaitForAsync(l => l.Contains($"The health endpoint cannot listen on port {port}", StringComparison.Ordinal), Step);
        Assert.True(both.ExitCode == 1, $"The worker exited with {both.ExitCode}:\n{both.Lines}");
        Assert.Contains(both.Lines.Lines, l => l.Contains("set Tmq:Health:Port to a free port", StringComparison.Ordinal) && l.Contains("Metrics:Prometheus:Port", StringComparison.Ordinal));

        // The metrics port alone: the Prometheus exporter's own error.
        var metrics = await RunUntilExitAsync(StartWorker(tool.Service("kafka"), "127.0.0.1:9", metricsPort: int.Parse(port, CultureInfo.InvariantCulture), ("Tmq__Health__Port", "0")));
        await metrics.Lines.WaitForAsync(l => l.Contains("Address already in use", StringComparison.Ordinal), Step);
        Assert.True(metrics.ExitCode == 1, $"The worker exited with {metrics.ExitCode}:\n{metrics.Lines}");

        foreach (var run in new[] { both, metrics })
        {
            Assert.DoesNotContain(run.Lines.Lines, l => l.Contains("Unhandled exception", StringComparison.Ordinal));
        }
    }

    /// <summary>Waits for a worker that should stop by itself; its exit code and every line it wrote (the process stays undisposed so that the reader can still ask it).</summary>
    private static async Task<(int ExitCode, LineReader Lines)> RunUntilExitAsync(Process worker)
    {
        var lines = new LineReader(worker);
        try
        {
            await worker.WaitForExitAsync().WaitAsync(Step);
        }
        finally
        {
            if (!worker.HasExited)
            {
                worker.Kill(entireProcessTree: true);
            }
        }

        return (worker.ExitCode, lines);
    }

    /// <summary>Starts the generated worker's Release build in Production against <paramref name="bootstrap"/>, metrics and health on <paramref name="metricsPort"/> (0: off), with <paramref name="settings"/> on top.</summary>
    private static Process StartWorker(GeneratedService service, string bootstrap, int metricsPort, params (string Name, string Value)[] settings)
    {
        var project = Path.Combine(service.Folder, "src", GeneratedService.Name);
        var environment = new Dictionary<string, string>
        {
            ["DOTNET_ENVIRONMENT"] = "Production",
            ["Tmq__Consumers__main__Kafka__bootstrap.servers"] = bootstrap,
            ["Tmq__Producer__BootstrapServers"] = bootstrap,
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

    /// <summary>Runs the tool until its output satisfies <paramref name="done"/> (each run takes a second or more), for at most a <see cref="Step"/>.</summary>
    private string TmqtoolUntil(Func<string, bool> done, params string[] arguments)
    {
        var deadline = DateTime.UtcNow + Step;
        var output = Tmqtool(arguments);
        while (!done(output) && DateTime.UtcNow < deadline)
        {
            output = Tmqtool(arguments);
        }

        return output;
    }
}
