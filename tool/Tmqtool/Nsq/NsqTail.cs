using System.Security.Cryptography;
using Tmq.Nsq;
using Tmq.Nsq.Discovery;

namespace Tmqtool.Nsq;

/// <summary>What <c>tail</c> reads on NSQ. <see cref="Channel"/> null: a new ephemeral channel.</summary>
internal sealed record NsqTailRequest(NsqTarget Target, string Topic, string? Channel, int Count, int TimeoutSeconds, TimeProvider Time);

/// <summary>
/// <c>tail</c> on NSQ. NSQ keeps no history to read from: a channel holds what was published since
/// it was made. By default tail makes its own ephemeral channel (<c>tmqtool-tail-XXXXXX#ephemeral</c>,
/// gone when tail stops), so it shows new messages and takes nothing from any other channel. With
/// <c>--channel</c> it shows the messages waiting in that existing channel and leaves them there: each
/// is held in flight while tail runs and put back (REQ, no delay) when it stops, at the channel's end
/// and with one more delivery attempt counted by nsqd (which a Tmq consumer's Retry:MaxAttempts counts too).
/// </summary>
/// <remarks>
/// A topic's first channel receives the messages the topic held before it (nsqd keeps a topic's
/// messages until it has a channel). So that tailing a dead-letter topic never takes its dead
/// letters, on a <c>*.dlq</c> topic tail first makes sure <c>dlq replay</c>'s channel exists; on
/// any other topic that holds messages and has no channel, it refuses rather than take them.
/// </remarks>
internal static class NsqTail
{
    /// <summary>Messages held at once while looking at a channel (nsqd's default max RDY is 2,500).</summary>
    internal const int MaxHeld = 2_500;

    private const int EphemeralReady = 100;

    internal static async Task<int> RunAsync(NsqTailRequest request, TextWriter output, TextWriter error, CancellationToken stop)
    {
        var timeout = TimeSpan.FromSeconds(10);
        var nodes = await request.Target.FindAsync(request.Topic, orAny: false, timeout, stop).ConfigureAwait(false);
        var peek = request.Channel is not null;
        var channel = request.Channel ?? $"tmqtool-tail-{RandomNumberGenerator.GetHexString(6, lowercase: true)}#ephemeral";
        var stats = new List<(string Nsqd, NsqdTopicStats? Topic)>();
        foreach (var answer in await NsqTarget.ReadStatsAsync(NsqTarget.Http(nodes), request.Topic, timeout, stop).ConfigureAwait(false))
        {
            if (answer.Failure is null)
            {
                stats.Add((answer.Nsqd, answer.Stats));
            }
            else
            {
                error.WriteLine($"warning: could not ask nsqd {answer.Nsqd} (HTTP {answer.Http?.ToString() ?? "unknown"}) {(peek ? $"whether channel {channel} exists" : "whether it has a channel")} on topic {request.Topic} ({answer.Failure}); going on without knowing.");
            }
        }

        var replayChannel = request.Topic.EndsWith(NsqReplay.DeadLetterSuffix, StringComparison.Ordinal) && channel == NsqReplay.DefaultChannel;
        if (peek && !replayChannel)
        {
            // SUB would make a missing channel, which would then take the topic's messages from now on
            // (and, as its first channel, the ones it holds): a misspelt --channel must not. The
            // replay channel of a dead-letter topic is the one exception: that is where dead letters belong.
            foreach (var (nsqd, topic) in stats)
            {
                if (topic?.Channels.Any(c => c.Name == channel) != true)
                {
                    var existing = topic is null ? $"it has no topic {request.Topic}" : topic.Channels.Count == 0 ? "the topic has no channel" : "its channels are " + string.Join(", ", topic.Channels.Select(static c => c.Name));
                    error.WriteLine($"error: channel {channel} of {request.Topic} does not exist on nsqd {nsqd} ({existing}). --channel looks at an existing channel; subscribing would make this one. Check the name (a generated service's channel is its PSM unless set).");
                    return ExitCodes.UnexpectedFailure;
                }
            }
        }
        else if (request.Topic.EndsWith(NsqReplay.DeadLetterSuffix, StringComparison.Ordinal))
        {
            // Before any other channel: a dead-letter topic's first channel gets what it holds.
            foreach (var node in nodes)
            {
                await NsqReader.EnsureChannelAsync(node.Tcp, request.Topic, NsqReplay.DefaultChannel, timeout, stop).ConfigureAwait(false);
            }
        }
        else
        {
            foreach (var (nsqd, topic) in stats)
            {
                if (topic is null)
                {
                    // As in Kafka's tail, waiting for a topic is fine, but not in silence: a misspelt name would wait forever.
                    error.WriteLine($"warning: topic {request.Topic} does not exist on nsqd {nsqd}; subscribing creates it (as NSQ does) and waits for messages. Check the name if none come.");
                }
                else if (topic is { Channels.Count: 0, Depth: > 0 })
                {
                    error.WriteLine(
                        $"error: topic {request.Topic} has no channel yet on nsqd {nsqd}, where {topic.Depth} message(s) wait for the first one; tail's ephemeral channel would be it and take them, and a consumer subscribing later would never see them. "
                        + "Start the consumer first (its channel then holds them), and look at them with --channel <the consumer's channel>.");
                    return ExitCodes.UnexpectedFailure;
                }
            }
        }

        var ready = peek ? Math.Min(request.Count > 0 ? request.Count : MaxHeld, MaxHeld) : EphemeralReady;
        await using var reader = await NsqReader.OpenAsync(nodes.Select(static n => n.Tcp), request.Topic, channel, ready, timeout, stop).ConfigureAwait(false);
        error.WriteLine(peek
            ? $"Showing the messages waiting in channel {channel} of {request.Topic} ({request.Target.Describe()}); they are put back when tail stops (at the channel's end, each with one more delivery attempt counted)."
            : $"Showing new messages of {request.Topic} ({request.Target.Describe()}) through ephemeral channel {channel}.");

        using var limit = new CancellationTokenSource(request.TimeoutSeconds > 0 ? TimeSpan.FromSeconds(request.TimeoutSeconds) : Timeout.InfiniteTimeSpan, request.Time);
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(stop, limit.Token);

        var shown = new HashSet<string>(StringComparer.Ordinal);
        var received = 0;
        while (request.Count == 0 || received < request.Count)
        {
            NsqReader.Delivery? next;
            try
            {
                next = await reader.ReadAsync(deadline.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                break;
            }

            if (next is not { } delivery)
            {
                error.WriteLine($"error: nsqd closed the connection{(reader.LastError is { } e ? ": " + e.Message : ".")}");
                return ExitCodes.UnexpectedFailure;
            }

            // Held messages that time out in nsqd come again: shown once.
            if (peek && !shown.Add(delivery.Message.IdString))
            {
                continue;
            }

            output.WriteLine(NsqText.Message(request.Topic, delivery.Connection.Address, delivery.Message));
            received++;
            if (!peek)
            {
                reader.Finish(delivery);
            }
        }

        if (request.Count > 0 && received < request.Count && !stop.IsCancellationRequested)
        {
            error.WriteLine($"error: received {received} of {request.Count} message(s) from {request.Topic} within {request.TimeoutSeconds} s.");
            return ExitCodes.UnexpectedFailure;
        }

        return ExitCodes.Success;
    }
}
