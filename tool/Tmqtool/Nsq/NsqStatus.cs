using Tmq.Control;

namespace Tmqtool.Nsq;

/// <summary>
/// <c>status</c> on NSQ: listens on an ephemeral channel of the status topic on every nsqd for a
/// while, finishing each report, then prints the latest per instance. NSQ keeps no reports, so an
/// instance that stopped reporting before the tool started listening is not listed.
/// </summary>
internal static class NsqStatus
{
    internal static async Task<int> RunAsync(NsqTarget target, string topic, string? service, TimeSpan wait, TimeSpan timeout, TextWriter output, TextWriter error, CancellationToken stop)
    {
        var nodes = await target.FindAsync(topic, orAny: true, timeout, stop, every: true).ConfigureAwait(false);
        var channel = $"tmqtool-status-{Guid.NewGuid().ToString("N")[..12]}#ephemeral";
        var reports = new List<InstanceStatus>();
        var unreadable = 0;
        await using (var reader = await NsqReader.OpenAsync(nodes.Select(static n => n.Tcp), topic, channel, 100, timeout, stop).ConfigureAwait(false))
        {
            error.WriteLine($"Listening {wait.TotalSeconds:0} s for status reports on {topic} ({target.Describe()}).");
            using var limit = new CancellationTokenSource(wait);
            using var deadline = CancellationTokenSource.CreateLinkedTokenSource(stop, limit.Token);
            while (true)
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

                if (InstanceStatus.TryDecode(delivery.Message.Body.Span, out var status, out _))
                {
                    reports.Add(status!);
                }
                else
                {
                    unreadable++;
                }

                reader.Finish(delivery);
            }
        }

        StatusTable.Write(output, reports, DateTimeOffset.UtcNow, service);
        if (unreadable > 0)
        {
            error.WriteLine($"note: {unreadable} message(s) on {topic} were not status reports and were skipped.");
        }

        error.WriteLine($"note: NSQ keeps no reports: only the instances that reported in these {wait.TotalSeconds:0} s are listed, and one that stopped reporting earlier is not shown as gone.");
        return ExitCodes.Success;
    }
}
