using System.Text.Json;
using Tmq.Nsq.Tests.Fakes;
using Tmqtool.Tests.Fakes;

namespace Tmqtool.Tests.Support;

/// <summary>Runs tmqtool's NSQ verbs in-process, off the test's thread, and waits on what nsqlookupd lists.</summary>
internal static class NsqCli
{
    private static readonly HttpClient Http = new() { Timeout = TimeSpan.FromSeconds(10) };

    /// <summary>Runs one verb to its end; a Kafka run would only be recorded, never started.</summary>
    /// <remarks>The verbs block on their async work, so they run on the thread pool rather than under xunit's synchronisation context.</remarks>
    internal static Task<CliResult> RunAsync(params string[] args) => RunAsync(new RecordingHelper(), args);

    /// <inheritdoc cref="RunAsync(string[])"/>
    internal static Task<CliResult> RunAsync(RecordingHelper helper, params string[] args) => Task.Run(() =>
    {
        using var deadline = new CancellationTokenSource(BackgroundCli.Timeout);
        var environment = new CliEnvironment(AppContext.BaseDirectory, TestCli.Versions, BundledFeedDirectory: null)
        {
            Helper = helper,
            Stop = deadline.Token,
        };
        return TestCli.Run(environment, args);
    });

    /// <summary>The "host:port" of nsqd's TCP protocol, as --nsqd takes it.</summary>
    internal static string Nsqd(this TestBroker broker) => broker.TcpAddress;

    /// <summary>nsqlookupd's address, as --lookupd takes it.</summary>
    internal static string Lookupd(this TestBroker broker) =>
        broker.LookupdHttpAddress?.ToString() ?? throw new InvalidOperationException($"The {broker.Kind} nsqd runs without nsqlookupd.");

    /// <summary>Waits until nsqlookupd lists an nsqd for <paramref name="topic"/> (a real nsqd registers a new topic a moment after creating it).</summary>
    internal static Task WaitForTopicAsync(this TestBroker broker, string topic)
    {
        var last = "no answer yet";
        return Eventually.TrueAsync(
            async () =>
            {
                using var response = await Http.GetAsync(new Uri(broker.LookupdHttpAddress!, $"lookup?topic={topic}"));
                last = $"{(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}";
                if (!response.IsSuccessStatusCode)
                {
                    return false;
                }

                using var json = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
                var root = json.RootElement.TryGetProperty("data", out var data) ? data : json.RootElement;
                return root.TryGetProperty("producers", out var producers) && producers.ValueKind == JsonValueKind.Array && producers.GetArrayLength() > 0;
            },
            () => $"nsqlookupd does not list topic {topic}: {last}");
    }
}
