using System.Diagnostics;
using System.Globalization;
using Microsoft.Playwright;
using Tmq.Nsq.Tests.Fakes;
using Tmqtool.Tests.Fakes;
using Tmqtool.Tests.Support;

namespace Tmqtool.Tests.Slow;

/// <summary>
/// <c>tmqtool console</c> as an on-call engineer uses it: a generated worker runs against the dev
/// broker, the installed tool serves the console, and a real headless chromium opens the page. It
/// shows the worker's service, consumer and instance; its Pause button (after the confirmation)
/// pauses the worker, which its /healthz says; Resume resumes it; a poison message's dead letter is
/// counted and the Replay button sends it back. On Kafka and NSQ's dev brokers, and on a real nsqd and
/// nsqlookupd when <c>NSQD_PATH</c> and <c>NSQLOOKUPD_PATH</c> are set.
/// </summary>
[Trait("Category", "Slow")]
[Collection(InstalledToolDefinition.Name)]
public sealed class ConsoleEndToEndTests(InstalledTool tool)
{
    private const string Topic = GeneratedService.Topic;
    private const string Psm = GeneratedService.Psm;
    private static readonly TimeSpan Start = TimeSpan.FromMinutes(2);
    private static readonly TimeSpan Step = TimeSpan.FromSeconds(60);

    [ChromiumTheory]
    [InlineData("kafka")]
    [InlineData("dev")]
    [RealNsqdData]
    public async Task Console_WithRunningWorker_ShowsItAndItsButtonsPauseResumeAndReplay(string kind)
    {
        Assert.False(OperatingSystem.IsWindows(), "This test stops processes with SIGTERM.");
        var mqType = kind == "kafka" ? "kafka" : "nsq";
        var service = tool.Service(mqType);
        var processes = new List<Process>();
        TestBroker? real = null;
        try
        {
            if (kind == "real")
            {
                real = await TestBroker.StartAsync(kind);
                await real.CreateChannelAsync(Topic, Psm);
                await real.WaitForTopicAsync(Topic);
            }

            var (broker, produceTo, workerSettings) = real is null ? await StartBrokerAsync(mqType, processes) : Addresses(real.Lookupd(), real.Nsqd());
            var metricsPort = Processes.FreePort();
            var worker = Track(processes, StartWorker(service, metricsPort, workerSettings));
            var workerLines = new LineReader(worker);
            await workerLines.WaitForAsync(l => l.Contains("Application started", StringComparison.Ordinal), Start);

            var console = Track(processes, ProcessRunner.Start(tool.Executable, ["console", .. broker, "--port", "0"], tool.WorkDirectory, tool.Environment));
            var consoleLines = new LineReader(console);
            var address = (await consoleLines.WaitForAsync(l => l.StartsWith("tmqtool console: http://127.0.0.1:", StringComparison.Ordinal), Start))["tmqtool console: ".Length..];

            using var playwright = await Playwright.CreateAsync();
            await using var browser = await HeadlessChromium.LaunchAsync(playwright);
            var page = await browser.NewPageAsync();
            var scripts = new List<string>();
            page.Console += (_, message) =>
            {
                if (message.Type == "error")
                {
                    scripts.Add(message.Text);
                }
            };
            page.SetDefaultTimeout((float)Step.TotalMilliseconds);
            Assertions.SetDefaultExpectTimeout((float)Step.TotalMilliseconds);
            await page.GotoAsync(address);

            // The page lists the running worker: its service, its consumer consuming, one live instance.
            var consumer = page.Locator($"section[data-service='{Psm}'] div.consumer[data-consumer='main']");
            await Assertions.Expect(consumer.Locator("[data-role=state]")).ToHaveTextAsync("consuming", new() { Timeout = (float)Start.TotalMilliseconds });
            await Assertions.Expect(consumer).ToContainTextAsync($"topic {Topic}");
            await Assertions.Expect(consumer.Locator("tbody tr")).ToHaveCountAsync(1);
            await Assertions.Expect(consumer.Locator("tbody tr .badge.live")).ToHaveCountAsync(1);

            // Pause asks first; Cancel sends nothing (the log shows one pause, the confirmed one, below).
            await consumer.Locator("button[data-action=pause]").ClickAsync();
            await Assertions.Expect(page.Locator("#confirm")).ToBeVisibleAsync();
            await Assertions.Expect(page.Locator("#confirm-text")).ToContainTextAsync($"Pause consumer main of {Psm}");
            await page.Locator("#confirm-cancel").ClickAsync();
            await Assertions.Expect(page.Locator("#confirm")).ToBeHiddenAsync();

            // Confirmed, the worker pauses: its own health endpoint says so, and then the page.
            await consumer.Locator("button[data-action=pause]").ClickAsync();
            await page.Locator("#confirm-ok").ClickAsync();
            await Assertions.Expect(page.Locator("#notes li", new() { HasTextString = $"pause {Psm}, consumer main: done." })).ToHaveCountAsync(1);
            await Assertions.Expect(page.Locator("#notes li", new() { HasTextString = $"pause {Psm}, consumer main: started" })).ToHaveCountAsync(1);
            await workerLines.WaitForAsync(l => l.Contains("Consumer main: control settings are now Paused=true", StringComparison.Ordinal), Step);
            await Processes.HealthSaysAsync(metricsPort, "\"paused\": true", Step);
            await Assertions.Expect(consumer.Locator("[data-role=state]")).ToHaveTextAsync("paused");

            await consumer.Locator("button[data-action=resume]").ClickAsync();
            await page.Locator("#confirm-ok").ClickAsync();
            await Processes.HealthSaysAsync(metricsPort, "\"paused\": false", Step);
            await Assertions.Expect(consumer.Locator("[data-role=state]")).ToHaveTextAsync("consuming");

            // A poison message is dead-lettered; the page counts it, and Replay sends it back (to be dead-lettered again).
            Tmqtool(["produce", .. produceTo, "--topic", Topic, "--key", "poison", "--value", ""]);
            await Assertions.Expect(consumer.Locator("[data-role=dead-letters]")).ToHaveTextAsync($"1 waiting in {Topic}.dlq");
            await consumer.Locator("button[data-action=replay]").ClickAsync();
            await Assertions.Expect(page.Locator("#confirm-text")).ToContainTextAsync($"Replay the 1 message(s) waiting in {Topic}.dlq");
            await page.Locator("#confirm-ok").ClickAsync();
            await Assertions.Expect(page.Locator("#notes")).ToContainTextAsync($"replay {Topic}.dlq: done.");
            await Assertions.Expect(page.Locator("#notes")).ToContainTextAsync("replayed 1 message(s)");
            await workerLines.WaitForAsync(l => l.Contains("; dead-lettering to " + Topic + ".dlq", StringComparison.Ordinal), Step, occurrence: 2);
            Assert.True(scripts.Count == 0, "The page logged errors:\n" + string.Join("\n", scripts));

            // Ctrl+C (SIGTERM) stops the console cleanly.
            await Processes.StopAsync(console, TimeSpan.FromSeconds(30));
            Assert.True(console.ExitCode == 0, $"tmqtool console exited with {console.ExitCode}:\n{consoleLines}");
            await consoleLines.WaitForAsync(l => l == "Stopped.", TimeSpan.FromSeconds(5));
        }
        finally
        {
            foreach (var process in Enumerable.Reverse(processes))
            {
                if (!process.HasExited)
                {
                    process.Kill(entireProcessTree: true);
                }

                process.Dispose();
            }

            if (real is not null)
            {
                await real.DisposeAsync();
            }
        }
    }

    private static Process Track(List<Process> processes, Process process)
    {
        processes.Add(process);
        return process;
    }

    /// <summary>The dev broker as a process of the installed tool; returns the broker options of the console and of produce, and the worker's addresses.</summary>
    private async Task<(string[] Console, string[] Produce, Dictionary<string, string> Worker)> StartBrokerAsync(string mqType, List<Process> processes)
    {
        if (mqType == "kafka")
        {
            var kafka = Track(processes, ProcessRunner.Start(tool.Executable, ["dev", "kafka", "--topic", Topic + ":3", "--topic", Topic + ".dlq:1"], tool.WorkDirectory, tool.Environment));
            var bootstrap = (await new LineReader(kafka).WaitForAsync(l => l.StartsWith("bootstrap.servers=", StringComparison.Ordinal), Start))["bootstrap.servers=".Length..];
            return (["--bootstrap-servers", bootstrap], ["--bootstrap-servers", bootstrap], new()
            {
                ["Tmq__Consumers__main__Kafka__bootstrap.servers"] = bootstrap,
                ["Tmq__Producer__BootstrapServers"] = bootstrap,
            });
        }

        var nsq = Track(processes, ProcessRunner.Start(tool.Executable, ["dev", "nsq", "--tcp-port", "0", "--http-port", "0", "--lookupd-port", "0", "--topic", Topic], tool.WorkDirectory, tool.Environment));
        var lines = new LineReader(nsq);
        var nsqd = After(await lines.WaitForAsync(l => l.StartsWith("nsqd tcp: ", StringComparison.Ordinal), Start));
        var lookupd = After(await lines.WaitForAsync(l => l.StartsWith("nsqlookupd http: ", StringComparison.Ordinal), Start));
        await lines.WaitForAsync(l => l.StartsWith("Running;", StringComparison.Ordinal), Start);
        return Addresses(lookupd, nsqd);
    }

    private static (string[] Console, string[] Produce, Dictionary<string, string> Worker) Addresses(string lookupd, string nsqd) =>
        (["--lookupd", lookupd], ["--nsqd", nsqd], new()
        {
            ["Tmq__Consumers__main__Nsq__Lookupd__0"] = lookupd,
            ["Tmq__Producer__Nsqd__0"] = nsqd,
        });

    private static string After(string line) => line[(line.IndexOf(": ", StringComparison.Ordinal) + 2)..].Trim();

    /// <summary>Starts the worker's Release build in Production, metrics and health on <paramref name="metricsPort"/>.</summary>
    private static Process StartWorker(GeneratedService service, int metricsPort, Dictionary<string, string> settings)
    {
        var project = Path.Combine(service.Folder, "src", GeneratedService.Name);
        var environment = new Dictionary<string, string>(settings)
        {
            ["DOTNET_ENVIRONMENT"] = "Production",
            ["Metrics__Prometheus__Port"] = metricsPort.ToString(CultureInfo.InvariantCulture),
            ["Tmq__Health__Port"] = metricsPort.ToString(CultureInfo.InvariantCulture),
        };
        return ProcessRunner.Start("dotnet", [Path.Combine(project, "bin", "Release", "net10.0", GeneratedService.Name + ".dll")], project, environment);
    }

    private string Tmqtool(params string[] arguments) => tool.Run(tool.Executable, arguments, tool.WorkDirectory);
}
