using System.Globalization;
using Tmq.Nsq.Discovery;

namespace Tmqtool.Nsq;

/// <summary>What <c>lag</c> reads on NSQ. <see cref="Channel"/> null: every channel of the topic.</summary>
internal sealed record NsqLagRequest(NsqTarget Target, string Topic, string? Channel, TimeSpan Timeout);

/// <summary>
/// <c>lag</c> on NSQ: each channel's depth (messages waiting), in-flight, deferred, requeued and
/// timed-out counts on every nsqd that has the topic, from nsqd's <c>/stats</c>. NSQ has no offsets:
/// depth is its lag. Reads only; joins nothing.
/// </summary>
/// <remarks>
/// nsqlookupd gives each nsqd's HTTP port. A fixed <c>--nsqd host:port</c> names the TCP port, and
/// its HTTP API is taken to be on the next one (4150 and 4151 are nsqd's defaults, and
/// <c>tmqtool dev nsq</c>'s).
/// </remarks>
internal static class NsqLag
{
    internal static async Task<int> RunAsync(NsqLagRequest request, TextWriter output, TextWriter error, CancellationToken stop)
    {
        IEnumerable<(string Name, Uri? Http)> nodes = request.Target.NsqdHttp.Count > 0
            ? [.. request.Target.NsqdHttp.Select(static u => ($"{u.Host}:{u.Port}", (Uri?)u))]
            : NsqTarget.Http((await request.Target.FindAsync(request.Topic, orAny: false, request.Timeout, stop).ConfigureAwait(false)).Where(static n => n.HttpOrNextPort is not null));
        var answers = await NsqTarget.ReadStatsAsync(nodes, request.Topic, request.Timeout, stop).ConfigureAwait(false);
        var unreachable = answers.Where(static a => a.Failure is not null).Select(static a => $"{a.Http}: {a.Failure}").ToList();
        var found = answers.Where(static a => a.Stats is not null).ToList();
        var topicDepth = found.Sum(static a => a.Stats!.Depth);
        var rows = found.SelectMany(a => a.Stats!.Channels.Where(c => request.Channel is null || c.Name == request.Channel).Select(c => (Nsqd: a.Nsqd, Stats: c))).ToList();

        foreach (var problem in unreachable)
        {
            error.WriteLine($"warning: nsqd's HTTP API did not answer /stats: {problem}");
        }

        if (unreachable.Count > 0 && request.Target.Nsqd.Count > 0)
        {
            error.WriteLine("note: with --nsqd host:port, nsqd's HTTP API is taken to be on the next port; give its HTTP address instead (--nsqd http://host:port) or --lookupd.");
        }

        if (found.Count == 0)
        {
            error.WriteLine(unreachable.Count == answers.Count
                ? $"error: no nsqd answered /stats for {request.Topic} ({request.Target.Describe()})."
                : $"error: topic {request.Topic} was not found on {string.Join(", ", answers.Select(static a => a.Nsqd))}.");
            return ExitCodes.UnexpectedFailure;
        }

        if (request.Channel is not null && rows.Count == 0)
        {
            error.WriteLine($"error: topic {request.Topic} has no channel {request.Channel}: the consumer has not subscribed yet, or --channel is misspelt (a generated service's channel is its PSM unless set).");
            return ExitCodes.UnexpectedFailure;
        }

        output.WriteLine($"{"nsqd",-22} {"channel",-30} {"depth",10} {"in_flight",10} {"deferred",10} {"requeued",10} {"timed_out",10} {"clients",8}");
        foreach (var (nsqd, c) in rows)
        {
            output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{nsqd,-22} {c.Name,-30} {c.Depth,10} {c.InFlight,10} {c.Deferred,10} {c.Requeued,10} {c.TimedOut,10} {c.Clients,8}"));
        }

        var depth = rows.Sum(static r => r.Stats.Depth);
        var inFlight = rows.Sum(static r => r.Stats.InFlight);
        output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"topic={request.Topic}{(request.Channel is null ? "" : " channel=" + request.Channel)} depth={depth} in_flight={inFlight} topic_queue={topicDepth}"));
        if (rows.Count == 0)
        {
            error.WriteLine($"note: topic {request.Topic} has no channel yet: its {topicDepth} message(s) wait in the topic's own queue and go to the first channel made.");
        }

        if (unreachable.Count > 0)
        {
            // The totals leave those nsqd out: a script must not take them for the whole topic.
            error.WriteLine($"error: the totals leave out {unreachable.Count} nsqd that did not answer (warnings above).");
            return ExitCodes.UnexpectedFailure;
        }

        return ExitCodes.Success;
    }
}
