using System.Globalization;
using Tmq;
using Tmq.Nsq.Envelope;
using Tmq.Nsq.Protocol;

namespace Tmqtool.Nsq;

/// <summary>What <c>trace</c> looks for on NSQ; every value is validated.</summary>
internal sealed record NsqTraceRequest(NsqTarget Target, string TraceId, string Topic, string DeadLetterTopic, TimeSpan Timeout, TimeProvider Time);

/// <summary>
/// <c>trace</c> on NSQ: NSQ keeps no message once a consumer has finished it, so what is left of a
/// trace in the broker is its dead letters. They wait in <c>dlq replay</c>'s channel
/// (<see cref="NsqReplay.DefaultChannel"/>) of the dead-letter topic: trace holds every message
/// waiting there (up to <see cref="NsqTail.MaxHeld"/>), prints those whose <c>traceparent</c> names
/// the trace, and puts them all back (REQ, no delay) as <c>tail --channel</c> does: at the channel's
/// end, each with one more delivery attempt counted by nsqd.
/// </summary>
internal static class NsqTrace
{
    internal static async Task<int> RunAsync(NsqTraceRequest request, TextWriter output, TextWriter error, CancellationToken stop)
    {
        var dlq = request.DeadLetterTopic;
        IReadOnlyList<Tmq.Nsq.Discovery.NsqdNode> nodes;
        try
        {
            nodes = await request.Target.FindAsync(dlq, orAny: false, request.Timeout, stop).ConfigureAwait(false);
        }
        catch (NsqVerbException e) when (request.Target.Lookupd.Count > 0 && e.Message.StartsWith("no nsqd has topic", StringComparison.Ordinal))
        {
            error.WriteLine($"error: no message of trace {request.TraceId}: no nsqd has the dead-letter topic {dlq}, and NSQ keeps no message of {request.Topic} once a consumer finished it. Follow the trace in the OTLP backend the services export to.");
            return ExitCodes.UnexpectedFailure;
        }

        // Only where the dead-letter topic exists (subscribing would make it: a misspelt --topic must
        // leave nothing behind), or where nsqd cannot say. There, before reading, the replay channel:
        // a dead-letter topic's first channel gets what the topic holds, and that is where dead letters belong.
        var answers = await NsqTarget.ReadStatsAsync(NsqTarget.Http(nodes), dlq, request.Timeout, stop).ConfigureAwait(false);
        var withTopic = nodes.Where(n => answers.Find(a => a.Nsqd == n.Tcp.ToString()) is not { Stats: null, Failure: null }).ToList();
        if (withTopic.Count == 0)
        {
            error.WriteLine($"error: no message of trace {request.TraceId}: no nsqd has the dead-letter topic {dlq} ({request.Target.Describe()}), and NSQ keeps no message of {request.Topic} once a consumer finished it. Follow the trace in the OTLP backend the services export to.");
            return ExitCodes.UnexpectedFailure;
        }

        foreach (var node in withTopic)
        {
            await NsqReader.EnsureChannelAsync(node.Tcp, dlq, NsqReplay.DefaultChannel, request.Timeout, stop).ConfigureAwait(false);
        }

        var waiting = answers
            .Where(static a => a.Stats is not null)
            .Sum(static a => a.Stats!.Channels.FirstOrDefault(static c => c.Name == NsqReplay.DefaultChannel) is { } replay ? replay.Depth + replay.Deferred : a.Stats.Depth);
        nodes = withTopic;
        var wanted = $"-{request.TraceId}-";
        var hops = new List<(DateTimeOffset At, string Line)>();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        await using (var reader = await NsqReader.OpenAsync(nodes.Select(static n => n.Tcp), dlq, NsqReplay.DefaultChannel, NsqTail.MaxHeld, request.Timeout, stop).ConfigureAwait(false))
        {
            while (seen.Count < NsqTail.MaxHeld)
            {
                NsqReader.Delivery? next;
                using (var quiet = new CancellationTokenSource(NsqReplay.Idle, request.Time))
                using (var idle = CancellationTokenSource.CreateLinkedTokenSource(stop, quiet.Token))
                {
                    try
                    {
                        next = await reader.ReadAsync(idle.Token).ConfigureAwait(false);
                    }
                    catch (OperationCanceledException) when (!stop.IsCancellationRequested)
                    {
                        // The channel has given everything it holds.
                        break;
                    }
                }

                if (next is not { } delivery)
                {
                    error.WriteLine($"error: nsqd closed the connection{(reader.LastError is { } e ? ": " + e.Message : ".")} What trace held is put back by nsqd after its msg_timeout.");
                    return ExitCodes.UnexpectedFailure;
                }

                if (seen.Add(delivery.Message.IdString) && Describe(dlq, delivery, wanted) is { } hop)
                {
                    hops.Add(hop);
                }
            }
        }

        foreach (var (_, line) in hops.OrderBy(static h => h.At))
        {
            output.WriteLine(line);
        }

        if (seen.Count >= NsqTail.MaxHeld && waiting > seen.Count)
        {
            error.WriteLine($"warning: {waiting} dead letters wait in {dlq}; trace looked at the first {seen.Count} only.");
        }

        error.WriteLine($"note: NSQ keeps no message once a consumer finished it: the sends and handled attempts of this trace are in the OTLP backend. The {seen.Count} dead letter(s) looked at were put back in channel {NsqReplay.DefaultChannel}, each with one more delivery attempt counted.");
        if (hops.Count == 0)
        {
            error.WriteLine($"error: no dead letter of trace {request.TraceId} waits in {dlq} ({request.Target.Describe()}).");
            return ExitCodes.UnexpectedFailure;
        }

        output.WriteLine($"{hops.Count} dead letter(s) of trace {request.TraceId} waiting in {dlq}.");
        return ExitCodes.Success;
    }

    /// <summary>The dead letter as a line, when its traceparent names the trace.</summary>
    private static (DateTimeOffset At, string Line)? Describe(string topic, NsqReader.Delivery delivery, string wanted)
    {
        NsqMessageFrame message = delivery.Message;
        if (!TmqEnvelope.TryUnwrap(message.Body, out var key, out var headers, out _) ||
            headers.GetString("traceparent") is not { } parent || !parent.Contains(wanted, StringComparison.Ordinal))
        {
            return null;
        }

        var failedAt = DateTimeOffset.TryParse(headers.GetString(DeadLetterHeaders.FailedAt), CultureInfo.InvariantCulture, DateTimeStyles.RoundtripKind, out var at) ? at : message.Timestamp;
        var original = headers.GetString(DeadLetterHeaders.OriginalTopic) is { } from
            ? $" dead letter of {NsqText.Show(from)} after {NsqText.Show(headers.GetString(DeadLetterHeaders.Attempts) ?? "?")} attempt(s): {NsqText.Show(headers.GetString(DeadLetterHeaders.ExceptionType) ?? "?")}"
            : string.Empty;
        var time = failedAt.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture);
        return (failedAt, $"{time} {topic}@{delivery.Connection.Address} id={message.IdString} key={NsqText.Show(key.Span)}{original} traceparent={NsqText.Show(parent)}");
    }
}
