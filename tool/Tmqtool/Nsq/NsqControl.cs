using Tmq;
using Tmq.Control;
using Tmq.Nsq;
using Tmqtool.Commands;

namespace Tmqtool.Nsq;

/// <summary>
/// <c>pause</c>, <c>resume</c> and <c>set</c> on NSQ: one control message, a merge (NSQ keeps no
/// state the tool could read and replace), published to every nsqd, since each instance reads the
/// control topic on every nsqd through its own ephemeral channel. A message published twice is
/// applied twice to the same effect.
/// </summary>
internal static class NsqControl
{
    internal static async Task<int> RunAsync(NsqTarget target, string topic, ControlCommand.Change change, string sentBy, TextWriter output, TextWriter error, CancellationToken stop)
    {
        var nodes = await target.FindAsync(topic, orAny: true, change.Timeout, stop, every: true).ConfigureAwait(false);
        var message = change.Clear
            ? new ControlMessage(change.Service, change.Consumer, new Dictionary<string, string>(), DateTimeOffset.UtcNow, sentBy)
            : new ControlMessage(
                change.Service,
                change.Consumer,
                change.Settings.Where(static s => s.Value is not null).ToDictionary(static s => s.Key, static s => s.Value!),
                DateTimeOffset.UtcNow,
                sentBy,
                Merge: true,
                Unset: [.. change.Settings.Where(static s => s.Value is null).Select(static s => s.Key)]);
        var body = message.Encode();
        var failed = new List<string>();
        foreach (var node in nodes)
        {
            var options = new NsqProducerOptions { Nsqd = [node.Tcp.ToString()], PublishTimeout = change.Timeout, ConnectTimeout = change.Timeout };
            await using var producer = new NsqProducer(options, "tmqtool-control", logger: null, metrics: null);
            try
            {
                await producer.SendAsync(topic, default, body, null, stop).ConfigureAwait(false);
            }
            catch (Exception e) when (e is TmqProduceException or IOException or TimeoutException)
            {
                failed.Add($"{node.Tcp}: {e.Message}");
            }
        }

        var sent = nodes.Count - failed.Count;
        if (sent > 0)
        {
            output.WriteLine($"{change.Describe()}; published to {topic} on {sent} of {nodes.Count} nsqd. Running instances apply it within seconds.");
            error.WriteLine("note: NSQ keeps no state for instances that start later: they start with their appsettings.json. Send it again after they start, or put the setting in appsettings.json to make it last.");
        }

        foreach (var failure in failed)
        {
            error.WriteLine($"error: not published to nsqd {failure}");
        }

        return failed.Count == 0 ? 0 : 1;
    }
}
