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
/// <c>--channel</c> it shows the messages waiting in that channel without taking them: each is held
/// in flight while tail runs and put back (REQ, no delay) when it stops.
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
        if (!peek && request.Topic.EndsWith(NsqReplay.DeadLetterSuffix, StringComparison.Ordinal))
        {
            foreach (var node in nodes)
            {
                await NsqReader.EnsureChannelAsync(node.Tcp, request.Topic, NsqReplay.DefaultChannel, timeout, stop).ConfigureAwait(false);
            }
        }
        else if (await FindUnclaimedAsync(request.Topic, nodes, timeout, error, stop).ConfigureAwait(false) is { } unclaimed && !peek)
        {
            error.WriteLine(
                $"error: topic {request.Topic} has no channel yet on nsqd {unclaimed.Nsqd}, where {unclaimed.Depth} message(s) wait for the first one; tail's ephemeral channel would be it and take them, and a consumer subscribing later would never see them. "
                + "Start the consumer first (its channel then holds them), or make its channel and look at them without taking them: --channel <the consumer's channel>.");
            return ExitCodes.UnexpectedFailure;
        }

        var ready = peek ? Math.Min(request.Count > 0 ? request.Count : MaxHeld, MaxHeld) : EphemeralReady;
        await using var reader = await NsqReader.OpenAsync(nodes.Select(static n => n.Tcp), request.Topic, channel, ready, timeout, stop).ConfigureAwait(false);
        error.WriteLine(peek
            ? $"Showing the messages waiting in channel {channel} of {request.Topic} ({request.Target.Describe()}) without taking them; they are put back when tail stops."
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

    /// <summary>
    /// An nsqd where the topic holds messages and has no channel: the first channel made gets them
    /// all. nsqd's HTTP API says (lookupd's HTTP port, or the next port for --nsqd); when it cannot be
    /// asked, tail goes on and says what it could not check.
    /// </summary>
    private static async Task<(string Nsqd, long Depth)?> FindUnclaimedAsync(string topic, IReadOnlyList<NsqdNode> nodes, TimeSpan timeout, TextWriter error, CancellationToken stop)
    {
        using var http = new HttpClient { Timeout = timeout };
        foreach (var node in nodes)
        {
            var uri = node.Http ?? new Uri($"http://{new NsqAddress(node.Tcp.Host, node.Tcp.Port + 1)}/");
            try
            {
                var stats = await NsqdStats.GetTopicAsync(http, uri, topic, stop).ConfigureAwait(false);
                if (stats is null)
                {
                    // As in Kafka's tail, waiting for a topic is fine, but not in silence: a misspelt name would wait forever.
                    error.WriteLine($"warning: topic {topic} does not exist on nsqd {node.Tcp}; subscribing creates it (as NSQ does) and waits for messages. Check the name if none come.");
                }
                else if (stats is { Channels.Count: 0, Depth: > 0 })
                {
                    return (node.Tcp.ToString(), stats.Depth);
                }
            }
            catch (Exception e) when (e is HttpRequestException or FormatException or TaskCanceledException && !stop.IsCancellationRequested)
            {
                error.WriteLine($"warning: could not ask nsqd {node.Tcp} (HTTP {uri}) whether topic {topic} has a channel ({e.Message}); if it has none, tail's ephemeral channel takes the messages it holds.");
            }
        }

        return null;
    }
}
