using System.Diagnostics;
using Tmqtool.Tests.Support;

namespace Tmqtool.Tests.Slow;

/// <summary>
/// The user's first day: pack the tool, install it into a temporary tool path, generate a Kafka
/// worker, start the embedded Kafka broker, run the worker as a process, produce keyed messages,
/// see the handler's output, stop it with SIGTERM and see a clean, committed shutdown.
/// </summary>
/// <remarks>
/// The broker runs in a small file-based app (<c>dotnet run broker.cs</c>) that references
/// runtime/Tmq.Kafka, so that this test project itself does not depend on the runtime's build.
/// </remarks>
[Trait("Category", "Slow")]
public sealed class EndToEndTests
{
    private const string Topic = "orders";
    private const string Group = "shop.orders.consumer";
    private static readonly TimeSpan Limit = TimeSpan.FromMinutes(8);

    [SlowFact]
    public async Task Tool_KafkaWorker_HandlesMessagesAndShutsDownCleanly()
    {
        Assert.False(OperatingSystem.IsWindows(), "This test stops the worker with SIGTERM.");
        using var work = new TempDirectory();
        var version = ProcessRunner.UniqueVersion("e2e");

        // Pack and install exactly what a user installs.
        var packages = work.Combine("packages");
        Run("dotnet", ["pack", Path.Combine(RepositoryPaths.Root, "tool", "Tmqtool", "Tmqtool.csproj"), "-c", "Release", "-o", packages, $"-p:Version={version}"], work.Path);
        var toolConfig = Path.Combine(packages, "nuget.config");
        File.WriteAllText(toolConfig, $"""
            <configuration><packageSources><clear /><add key="local" value="{packages}" /></packageSources></configuration>
            """);
        var tools = work.Combine("tools");
        Run("dotnet", ["tool", "install", "tmqtool", "--tool-path", tools, "--version", version, "--configfile", toolConfig], work.Path);

        var generated = Run(Path.Combine(tools, "tmqtool"), ["new", "--mqtype", "kafka", "--psm", Group, "--topic", Topic, "-o", "svc"], work.Path);
        Assert.DoesNotContain("warning", generated, StringComparison.Ordinal);
        Run("dotnet", ["build", "-c", "Release", "-warnaserror"], work.Combine("svc"));

        Directory.CreateDirectory(work.Combine("broker"));
        File.WriteAllText(work.Combine("broker", "broker.cs"), BrokerApp.Replace("{RUNTIME}", Path.Combine(RepositoryPaths.Root, "runtime", "Tmq.Kafka", "Tmq.Kafka.csproj"), StringComparison.Ordinal));
        using var broker = ProcessRunner.Start("dotnet", ["run", "broker.cs", "--", Topic], work.Combine("broker"), redirectInput: true);
        var brokerLines = new LineReader(broker);
        var bootstrap = (await brokerLines.WaitForAsync(l => l.StartsWith("BOOTSTRAP ", StringComparison.Ordinal), Limit))["BOOTSTRAP ".Length..];

        var dll = work.Combine("svc", "src", "Shop.Orders.Consumer", "bin", "Release", "net10.0", "Shop.Orders.Consumer.dll");
        using var worker = ProcessRunner.Start("dotnet", [dll], work.Combine("svc", "src", "Shop.Orders.Consumer"), new Dictionary<string, string>
        {
            ["DOTNET_ENVIRONMENT"] = "Production",
            ["Tmq__Consumers__main__Kafka__bootstrap.servers"] = bootstrap,
            ["Tmq__Producer__BootstrapServers"] = bootstrap,
        });
        var workerLines = new LineReader(worker);
        try
        {
            for (var i = 1; i <= 3; i++)
            {
                await broker.StandardInput.WriteLineAsync($"produce order-{i} {{\"id\":{i}}}");
                await brokerLines.WaitForAsync(l => l == "OK", TimeSpan.FromSeconds(30), occurrence: i);
            }

            for (var i = 1; i <= 3; i++)
            {
                await workerLines.WaitForAsync(l => l.Contains($"key 'order-{i}'", StringComparison.Ordinal), TimeSpan.FromSeconds(60));
            }

            using (var kill = Process.Start("kill", ["-TERM", worker.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)]))
            {
                await kill.WaitForExitAsync();
            }

            using var exited = new CancellationTokenSource(TimeSpan.FromSeconds(40));
            await worker.WaitForExitAsync(exited.Token);
            Assert.True(worker.ExitCode == 0, $"The worker exited with {worker.ExitCode}:\n{workerLines}");
            Assert.Contains(workerLines.Lines, l => l.Contains("Application is shutting down", StringComparison.Ordinal));

            await broker.StandardInput.WriteLineAsync($"committed {Group}");
            var committed = await brokerLines.WaitForAsync(l => l.StartsWith("COMMITTED ", StringComparison.Ordinal), TimeSpan.FromSeconds(30));
            Assert.Equal("COMMITTED 3", committed);
        }
        finally
        {
            if (!worker.HasExited)
            {
                worker.Kill(entireProcessTree: true);
            }

            await broker.StandardInput.WriteLineAsync("quit");
            if (!broker.WaitForExit(TimeSpan.FromSeconds(10)))
            {
                broker.Kill(entireProcessTree: true);
            }
        }
    }

    private static string Run(string fileName, string[] arguments, string workingDirectory)
    {
        var (exitCode, output) = ProcessRunner.Run(fileName, arguments, workingDirectory, Limit);
        Assert.True(exitCode == 0, $"{fileName} {string.Join(' ', arguments)} failed with {exitCode}:\n{output}");
        return output;
    }

    /// <summary>Starts the embedded broker, then produces and reads committed offsets on command.</summary>
    private const string BrokerApp = """
        #:project {RUNTIME}
        #:property TreatWarningsAsErrors=false
        #:property PublishAot=false
        using Confluent.Kafka;
        using Tmq.Kafka;

        var topic = args[0];
        using var broker = EmbeddedKafkaBroker.Start();
        broker.CreateTopic(topic, 3);
        Console.WriteLine("BOOTSTRAP " + broker.BootstrapServers);
        using var producer = new ProducerBuilder<string, string>(new ProducerConfig { BootstrapServers = broker.BootstrapServers }).Build();
        string? line;
        while ((line = Console.ReadLine()) is not null && line != "quit")
        {
            var parts = line.Split(' ', 3);
            if (parts[0] == "produce")
            {
                await producer.ProduceAsync(topic, new Message<string, string> { Key = parts[1], Value = parts[2] });
                Console.WriteLine("OK");
            }
            else if (parts[0] == "committed")
            {
                using var consumer = new ConsumerBuilder<Ignore, Ignore>(new ConsumerConfig { BootstrapServers = broker.BootstrapServers, GroupId = parts[1] }).Build();
                var offsets = consumer.Committed(Enumerable.Range(0, 3).Select(p => new TopicPartition(topic, p)), TimeSpan.FromSeconds(10));
                Console.WriteLine("COMMITTED " + offsets.Sum(o => Math.Max(0L, o.Offset.Value)));
            }
        }
        """;
}
