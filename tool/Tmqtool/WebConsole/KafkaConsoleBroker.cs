using System.Text;
using System.Text.Json.Nodes;
using Tmq.Control;
using Tmqtool.Commands;
using Tmqtool.Helper;
using Tmqtool.Validation;

namespace Tmqtool.WebConsole;

/// <summary>
/// The console on Kafka: one long-running helper (<c>console-feed</c>) follows the status topic and
/// counts the dead letters waiting; each button runs the helper verb its command runs
/// (<c>control</c>, <c>dlq-replay</c>), so it does exactly what <c>tmqtool pause</c> or
/// <c>tmqtool dlq replay</c> would.
/// </summary>
internal sealed class KafkaConsoleBroker(CliEnvironment environment, ConsoleSettings settings, string servers) : IConsoleBroker
{
    /// <summary>How long the feed waits before starting again after the helper ended.</summary>
    private static readonly TimeSpan Restart = TimeSpan.FromSeconds(5);

    public string Describe => "Kafka " + servers;

    public async Task FollowAsync(ConsoleState state, CancellationToken stop)
    {
        var request = new HelperRequest("console-feed", new JsonObject
        {
            ["bootstrapServers"] = servers,
            ["topic"] = settings.StatusTopic,
            ["sinceSeconds"] = (int)settings.Window.TotalSeconds,
            ["timeoutSeconds"] = (int)settings.Timeout.TotalSeconds,
            ["refreshSeconds"] = (int)settings.Refresh.TotalSeconds,
        });
        while (!stop.IsCancellationRequested)
        {
            using var output = new LineWriter(line => Read(state, line));
            using var error = new LineWriter(line => state.Note(line));
            var exit = await Task.Factory.StartNew(
                () => environment.Helper.Run(request, environment, output, error, stop),
                stop,
                TaskCreationOptions.LongRunning,
                TaskScheduler.Default).ConfigureAwait(false);
            if (stop.IsCancellationRequested)
            {
                return;
            }

            state.BrokerError($"the Kafka helper that reads {settings.StatusTopic} ended (exit code {exit}); starting it again in {Restart.TotalSeconds:0} s.");
            await Task.Delay(Restart, environment.Time, stop).ConfigureAwait(false);
        }
    }

    public Task<ConsoleActionResult> PauseAsync(string service, string consumer, bool paused, CancellationToken stop)
    {
        var change = ControlCommand.Change.Pause(service, consumer, paused, settings.Timeout);
        return RunAsync(ControlCommand.KafkaRequest(servers, settings.ControlTopic, change), stop);
    }

    public Task<ConsoleActionResult> ReplayAsync(string deadLetterTopic, CancellationToken stop)
    {
        // The topic comes from a status report: checked as dlq replay checks its --topic.
        string group;
        try
        {
            KafkaNames.ValidateAnyTopic("topic", deadLetterTopic, "orders.dlq");
            group = DlqReplayCommand.CheckedDefaultGroup(deadLetterTopic);
        }
        catch (InputException e)
        {
            return Task.FromResult(new ConsoleActionResult(false, e.Message));
        }

        return RunAsync(DlqReplayCommand.KafkaRequest(servers, deadLetterTopic, to: null, group, count: 0, dryRun: false, (int)settings.Timeout.TotalSeconds), stop);
    }

    private Task<ConsoleActionResult> RunAsync(HelperRequest request, CancellationToken stop) =>
        Task.Factory.StartNew(
            () =>
            {
                using var output = new StringWriter();
                var exit = environment.Helper.Run(request, environment, output, output, stop);
                return new ConsoleActionResult(exit == ExitCodes.Success, output.ToString().Trim());
            },
            stop,
            TaskCreationOptions.LongRunning,
            TaskScheduler.Default);

    private static void Read(ConsoleState state, string line)
    {
        JsonObject? json;
        try
        {
            json = JsonNode.Parse(line) as JsonObject;
        }
        catch (System.Text.Json.JsonException)
        {
            json = null;
        }

        switch (json?["kind"]?.GetValue<string>())
        {
            case "status" when json["report"] is JsonObject report && InstanceStatus.TryDecode(Encoding.UTF8.GetBytes(report.ToJsonString()), out var status, out _):
                state.Report(status!);
                break;
            case "deadLetters" when json["topics"] is JsonObject topics:
                state.DeadLetters(
                    topics.ToDictionary(static t => t.Key, static t => t.Value?.GetValue<long>() ?? 0, StringComparer.Ordinal),
                    (json["unknown"] as JsonObject)?.ToDictionary(static t => t.Key, static t => t.Value?.GetValue<string>() ?? "no answer", StringComparer.Ordinal));
                break;
            case "error":
                state.BrokerError(json["message"]?.GetValue<string>());
                break;
            default:
                state.Note(line);
                break;
        }
    }

    /// <summary>A writer that hands each whole line to <paramref name="onLine"/>.</summary>
    private sealed class LineWriter(Action<string> onLine) : TextWriter
    {
        private readonly StringBuilder _line = new();

        public override Encoding Encoding => Encoding.UTF8;

        public override void Write(char value)
        {
            if (value == '\n')
            {
                onLine(_line.ToString().TrimEnd('\r'));
                _line.Clear();
            }
            else
            {
                _line.Append(value);
            }
        }

        public override void WriteLine(string? value)
        {
            _line.Append(value);
            Write('\n');
        }
    }
}
