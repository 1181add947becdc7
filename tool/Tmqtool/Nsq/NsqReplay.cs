using System.Globalization;
using Tmq;
using Tmq.Nsq;
using Tmq.Nsq.Discovery;
using Tmq.Nsq.Envelope;
using RuntimeNames = Tmq.Nsq.NsqNames;

namespace Tmqtool.Nsq;

/// <summary>What <c>dlq replay</c> does on NSQ; every value is validated.</summary>
internal sealed record NsqReplayRequest(NsqTarget Target, string Topic, string? To, string Channel, int Count, bool DryRun, TimeSpan Timeout, TimeProvider Time);

/// <summary>
/// <c>dlq replay</c> on NSQ: reads the dead-letter topic through its own channel
/// (<see cref="DefaultChannel"/>), publishes each dead letter's original key, headers (less the
/// <c>tmq-dlq-*</c> ones) and body back to the topic it failed on, and FINs it only after nsqd
/// acknowledged that publish. A stop or a failure loses nothing: what was not FINed stays in the
/// channel, and the next run resumes with it.
/// </summary>
/// <remarks>
/// Replays what the channel held when the replay started: a message newer than that (one that failed
/// again and was dead-lettered again) is held and put back at the end, never replayed in a loop. The
/// replay ends when the channel has had nothing older to give for <see cref="Idle"/>.
/// </remarks>
internal static class NsqReplay
{
    internal const string DeadLetterSuffix = ".dlq";
    internal const string DefaultChannel = "tmqtool-replay";

    /// <summary>How long the channel must stay silent before the replay takes it as drained (nsqd sends a waiting message at once).</summary>
    internal static readonly TimeSpan Idle = TimeSpan.FromSeconds(2);

    /// <summary>
    /// The longest wait for nsqd's OK to a republished message: the dead letter stays in flight
    /// meanwhile, and past nsqd's msg_timeout (60 s by default) nsqd would deliver it again, for the
    /// next run to replay a second time.
    /// </summary>
    internal static readonly TimeSpan MaxPublishWait = TimeSpan.FromSeconds(20);

    internal static async Task<int> RunAsync(NsqReplayRequest request, TextWriter output, TextWriter error, CancellationToken stop)
    {
        var nodes = await request.Target.FindAsync(request.Topic, orAny: false, request.Timeout, stop).ConfigureAwait(false);
        var started = request.Time.GetUtcNow();
        var held = 0;
        await using var reader = await NsqReader.OpenAsync(nodes.Select(static n => n.Tcp), request.Topic, request.Channel, ready: 1, request.Timeout, stop).ConfigureAwait(false);
        await using var producer = new NsqProducer(
            new NsqProducerOptions
            {
                Nsqd = [.. nodes.Select(static n => n.Tcp.ToString())],
                PublishTimeout = request.Timeout < MaxPublishWait ? request.Timeout : MaxPublishWait,
                ConnectTimeout = request.Timeout < MaxPublishWait ? request.Timeout : MaxPublishWait,
            },
            "tmqtool-replay",
            logger: null,
            metrics: null);
        output.WriteLine($"{request.Topic}: replaying what channel {request.Channel} holds ({request.Target.Describe()}){(request.Count > 0 ? $", at most {request.Count}" : "")}{(request.DryRun ? "; dry run: nothing is sent or taken" : "")}.");

        var replayed = 0;
        var unroutable = 0;
        var unfinished = 0;
        var targets = new SortedDictionary<string, int>(StringComparer.Ordinal);
        var stopped = false;
        var full = false;
        while (request.Count == 0 || replayed < request.Count)
        {
            NsqReader.Delivery? next;
            using (var quiet = new CancellationTokenSource(Idle, request.Time))
            using (var idle = CancellationTokenSource.CreateLinkedTokenSource(stop, quiet.Token))
            {
                try
                {
                    next = await reader.ReadAsync(idle.Token).ConfigureAwait(false);
                }
                catch (OperationCanceledException)
                {
                    stopped = stop.IsCancellationRequested;
                    break;
                }
            }

            if (next is not { } delivery)
            {
                error.WriteLine($"error: nsqd closed the connection{(reader.LastError is { } e ? ": " + e.Message : ".")} {replayed} message(s) were replayed; run again to resume.");
                return ExitCodes.UnexpectedFailure;
            }

            var message = delivery.Message;
            var source = $"{request.Topic}@{delivery.Connection.Address} id={message.IdString}";
            // Compared with this machine's clock: nsqd stamps a message with its own, so the two should agree.
            if (message.Timestamp > started)
            {
                // Dead-lettered again since the start: left for the next run (put back when the replay ends).
                if (!Hold())
                {
                    break;
                }

                continue;
            }

            if (delivery.Connection.IsClosed)
            {
                // Its FIN could not reach nsqd, which delivers it again after msg_timeout: the next run replays it.
                continue;
            }

            if (!TmqEnvelope.TryUnwrap(message.Body, out var key, out var headers, out var body))
            {
                body = message.Body;
            }

            var target = request.To ?? headers.GetString(DeadLetterHeaders.OriginalTopic);
            if (target is null || !RuntimeNames.IsValid(target))
            {
                var why = target is null
                    ? $"has no {DeadLetterHeaders.OriginalTopic} header (it was not dead-lettered by Tmq)"
                    : $"has the {DeadLetterHeaders.OriginalTopic} header \"{NsqText.Show(target)}\", which is not an NSQ topic name";
                if (request.DryRun)
                {
                    output.WriteLine($"cannot replay {source}: it {why}");
                    unroutable++;
                    if (!Hold())
                    {
                        break;
                    }

                    continue;
                }

                reader.Requeue(delivery);
                error.WriteLine($"error: {source} {why}; pass --to to choose its topic. {replayed} message(s) were replayed before it; it stays in channel {request.Channel}.");
                return ExitCodes.UnexpectedFailure;
            }

            if (request.DryRun)
            {
                output.WriteLine($"would replay {source} -> {target} key={NsqText.Show(key.Span)} value={NsqText.Show(body.Span)}");
                if (!Hold())
                {
                    replayed++;
                    targets[target] = targets.GetValueOrDefault(target) + 1;
                    break;
                }
            }
            else
            {
                var original = new TmqHeaders();
                foreach (var header in headers)
                {
                    if (!header.Name.StartsWith("tmq-dlq-", StringComparison.Ordinal))
                    {
                        original.Add(header.Name, header.Value);
                    }
                }

                // The original as it was sent: an envelope when it had a key or headers, else its body alone.
                var republished = key.Length > 0 || original.Count > 0 ? TmqEnvelope.Wrap(key.Span, original, body.Span) : body;
                try
                {
                    // Not cancelled by a stop: a publish under way is waited for, then FINed and counted.
                    await producer.PublishToAsync(NsqAddressOf(delivery), target, republished, CancellationToken.None).ConfigureAwait(false);
                }
                catch (TmqProduceException e)
                {
                    reader.Requeue(delivery);
                    error.WriteLine($"error: {source} was not sent to {target}: {e.Message} {replayed} message(s) were replayed before it; run again to resume.");
                    return ExitCodes.UnexpectedFailure;
                }

                if (!reader.Finish(delivery))
                {
                    unfinished++;
                    error.WriteLine($"warning: {source} was sent to {target}, but its connection closed before the FIN: nsqd delivers it again after msg_timeout, and the next run replays it again (a duplicate on {target}).");
                }

                output.WriteLine($"replayed {source} -> {target} key={NsqText.Show(key.Span)}");
            }

            replayed++;
            targets[target] = targets.GetValueOrDefault(target) + 1;
        }

        var summary = targets.Count == 0 ? "" : " to " + string.Join(", ", targets.Select(static t => string.Create(CultureInfo.InvariantCulture, $"{t.Key} ({t.Value})")));
        output.WriteLine($"{(request.DryRun ? "would replay" : "replayed")} {replayed} message(s) from {request.Topic}{summary}.");
        if (!request.DryRun && !stopped && !full && held == 0)
        {
            await ReportLeftAsync(request, nodes, error, stop).ConfigureAwait(false);
        }
        if (unroutable > 0)
        {
            error.WriteLine($"error: {unroutable} message(s) cannot be replayed without --to (listed above).");
            return ExitCodes.UnexpectedFailure;
        }

        if (stopped)
        {
            error.WriteLine($"error: stopped after {replayed} message(s); run again to resume.");
            return ExitCodes.UnexpectedFailure;
        }

        if (full)
        {
            error.WriteLine($"error: the replay reached the most messages nsqd lets one client hold at once ({NsqTail.MaxHeld}, its max RDY){(request.DryRun ? ": the dry run listed the messages up to there" : ", held because they were dead-lettered again since it started")}; they are put back. Run again for the rest.");
            return ExitCodes.UnexpectedFailure;
        }

        if (reader.Lost is { } lost)
        {
            error.WriteLine($"error: the connection to {lost} ended during the replay: what that nsqd still holds was not replayed{(unfinished > 0 ? $", and {unfinished} replayed message(s) could not be FINed there" : "")}. Run again to resume.");
            return ExitCodes.UnexpectedFailure;
        }

        return ExitCodes.Success;

        // Keeps a message in flight until the end (it is put back then); false when nsqd would let this client hold no more.
        bool Hold()
        {
            if (held + 2 > NsqTail.MaxHeld)
            {
                full = true;
                return false;
            }

            reader.SetReady(++held + 1);
            return true;
        }
    }

    /// <summary>
    /// The replay ends when the channel is quiet; deferred messages (a REQ with a delay, by a tail or
    /// another client) are still there, and nsqd's /stats says how many: said, not hidden.
    /// </summary>
    private static async Task ReportLeftAsync(NsqReplayRequest request, IReadOnlyList<NsqdNode> nodes, TextWriter error, CancellationToken stop)
    {
        // A courtesy: an nsqd that cannot be asked is passed over, the replay itself is done.
        var answers = await NsqTarget.ReadStatsAsync(NsqTarget.Http(nodes), request.Topic, request.Timeout < MaxPublishWait ? request.Timeout : MaxPublishWait, stop).ConfigureAwait(false);
        foreach (var answer in answers)
        {
            // Deferred only: in flight may still count this replay's last FINs, which nsqd reads a moment later.
            if (answer.Stats?.Channels.FirstOrDefault(c => c.Name == request.Channel) is { Deferred: > 0 } left)
            {
                error.WriteLine($"note: channel {request.Channel} on nsqd {answer.Nsqd} still holds {left.Deferred} deferred message(s) this replay did not get; run again once nsqd hands them back.");
            }
        }
    }

    private static NsqAddress? NsqAddressOf(NsqReader.Delivery delivery) =>
        NsqAddress.TryParse(delivery.Connection.Address, out var address) ? address : null;
}
