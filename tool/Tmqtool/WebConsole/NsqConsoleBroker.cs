using Tmq.Control;
using Tmqtool.Commands;
using Tmqtool.Nsq;
using Tmqtool.Validation;

namespace Tmqtool.WebConsole;

/// <summary>
/// The console on NSQ, in the tool: an ephemeral channel of the status topic on every nsqd (found
/// again every <see cref="ConsoleSettings.Rediscover"/>, and after a connection drops), nsqd's /stats
/// for the dead letters waiting, and the tool's own pause and replay for the buttons.
/// </summary>
/// <remarks>NSQ keeps no reports: the console lists the instances that report while it runs (within one StatusInterval).</remarks>
internal sealed class NsqConsoleBroker(CliEnvironment environment, ConsoleSettings settings, NsqTarget target) : IConsoleBroker
{
    public string Describe => "NSQ " + target.Describe();

    public async Task FollowAsync(ConsoleState state, CancellationToken stop)
    {
        var channel = $"tmqtool-console-{Guid.NewGuid().ToString("N")[..12]}#ephemeral";
        while (!stop.IsCancellationRequested)
        {
            try
            {
                var nodes = await target.FindAsync(settings.StatusTopic, orAny: true, settings.Timeout, stop, every: true).ConfigureAwait(false);
                await using var reader = await NsqReader.OpenAsync(nodes.Select(static n => n.Tcp), settings.StatusTopic, channel, 100, settings.Timeout, stop).ConfigureAwait(false);
                state.BrokerError(null);
                using var round = CancellationTokenSource.CreateLinkedTokenSource(stop);
                round.CancelAfter(settings.Rediscover);
                var counting = CountDeadLettersAsync(state, nodes, round.Token);
                try
                {
                    while (true)
                    {
                        NsqReader.Delivery? next;
                        try
                        {
                            next = await reader.ReadAsync(round.Token).ConfigureAwait(false);
                        }
                        catch (OperationCanceledException) when (!stop.IsCancellationRequested)
                        {
                            break;
                        }

                        if (next is not { } delivery)
                        {
                            state.BrokerError($"nsqd closed the connection{(reader.LastError is { } e ? ": " + e.Message : ".")} Connecting again.");
                            break;
                        }

                        if (InstanceStatus.TryDecode(delivery.Message.Body.Span, out var status, out _))
                        {
                            state.Report(status!);
                        }

                        reader.Finish(delivery);
                    }
                }
                finally
                {
                    await round.CancelAsync().ConfigureAwait(false);
                    await counting.ConfigureAwait(false);
                }
            }
            catch (Exception e) when (e is NsqVerbException or IOException or TimeoutException or System.Net.Sockets.SocketException && !stop.IsCancellationRequested)
            {
                state.BrokerError(e.Message);
                await Task.Delay(settings.Refresh, environment.Time, stop).ConfigureAwait(false);
            }
        }
    }

    public async Task<ConsoleActionResult> PauseAsync(string service, string consumer, bool paused, CancellationToken stop)
    {
        var change = ControlCommand.Change.Pause(service, consumer, paused, settings.Timeout);
        using var output = new StringWriter();
        var exit = await RunAsync(() => NsqControl.RunAsync(target, settings.ControlTopic, change, ControlCommand.SentBy(), output, output, stop), output).ConfigureAwait(false);
        return new ConsoleActionResult(exit == ExitCodes.Success, output.ToString().Trim());
    }

    public async Task<ConsoleActionResult> ReplayAsync(string deadLetterTopic, CancellationToken stop)
    {
        // The topic comes from a status report: checked as dlq replay checks its --topic.
        try
        {
            NsqNames.ValidateAnyTopic("topic", deadLetterTopic, "orders.dlq");
        }
        catch (InputException e)
        {
            return new ConsoleActionResult(false, e.Message);
        }

        var request = new NsqReplayRequest(target, deadLetterTopic, To: null, NsqReplay.DefaultChannel, Count: 0, DryRun: false, settings.Timeout, environment.Time);
        using var output = new StringWriter();
        var exit = await RunAsync(() => NsqReplay.RunAsync(request, output, output, stop), output).ConfigureAwait(false);
        return new ConsoleActionResult(exit == ExitCodes.Success, output.ToString().Trim());
    }

    private static async Task<int> RunAsync(Func<Task<int>> verb, TextWriter output)
    {
        try
        {
            return await verb().ConfigureAwait(false);
        }
        catch (NsqVerbException e)
        {
            await output.WriteLineAsync("error: " + e.Message).ConfigureAwait(false);
            return ExitCodes.UnexpectedFailure;
        }
    }

    /// <summary>Every refresh: per dead-letter topic the reports name, what the replay channel holds (or the topic, before any channel).</summary>
    private async Task CountDeadLettersAsync(ConsoleState state, IReadOnlyList<Tmq.Nsq.Discovery.NsqdNode> nodes, CancellationToken stop)
    {
        var http = NsqTarget.Http(nodes).Where(static n => n.Http is not null).ToList();
        try
        {
            while (!stop.IsCancellationRequested)
            {
                var waiting = new Dictionary<string, long>(StringComparer.Ordinal);
                var unknown = new Dictionary<string, string>(StringComparer.Ordinal);
                foreach (var topic in state.DeadLetterTopics())
                {
                    var answers = await NsqTarget.ReadStatsAsync(http, topic, settings.Timeout, stop).ConfigureAwait(false);
                    if (answers.FirstOrDefault(static a => a.Failure is not null) is { } failed)
                    {
                        // A sum without that nsqd would look like fewer dead letters than there are.
                        unknown[topic] = $"nsqd {failed.Nsqd} did not answer /stats: {failed.Failure}";
                        continue;
                    }

                    waiting[topic] = answers.Where(static a => a.Stats is not null).Sum(static a =>
                        a.Stats!.Channels.FirstOrDefault(static c => c.Name == NsqReplay.DefaultChannel) is { } replay ? replay.Depth + replay.Deferred
                        : a.Stats.Channels.Count == 0 ? a.Stats.Depth
                        : 0);
                }

                state.DeadLetters(waiting, unknown);
                await Task.Delay(settings.Refresh, environment.Time, stop).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException)
        {
            // This round ended.
        }
    }
}
