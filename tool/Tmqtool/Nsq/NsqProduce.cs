using System.Globalization;
using System.Text;
using Tmq;
using Tmq.Nsq;

namespace Tmqtool.Nsq;

/// <summary>What <c>produce</c> sends on NSQ; every value is validated.</summary>
internal sealed record NsqProduceRequest(
    NsqTarget Target, string Topic, string? Key, string Value, IReadOnlyList<KeyValuePair<string, string>> Headers, int Count, bool Quiet, TimeSpan Timeout);

/// <summary>
/// <c>produce</c> on NSQ: PUBs each message and waits for nsqd's OK. NSQ messages are bodies only:
/// with <c>--key</c> or <c>--header</c> the message is a TMQ envelope (which Tmq consumers unwrap),
/// without them the value is sent as it is, for any NSQ consumer.
/// </summary>
internal static class NsqProduce
{
    /// <summary>Sends under way at once; they go out on one connection in order, and are reported in order.</summary>
    private const int Window = 100;

    internal static async Task<int> RunAsync(NsqProduceRequest request, TextWriter output, TextWriter error, CancellationToken stop)
    {
        var nodes = await request.Target.FindAsync(request.Topic, orAny: true, request.Timeout, stop).ConfigureAwait(false);
        var options = new NsqProducerOptions
        {
            Nsqd = [.. nodes.Select(static n => n.Tcp.ToString())],
            Envelope = request.Key is not null || request.Headers.Count > 0,
            PublishTimeout = request.Timeout,
            ConnectTimeout = request.Timeout,
        };
        await using var producer = new NsqProducer(options, "tmqtool-produce", logger: null, metrics: null);
        var key = request.Key is null ? null : new Numbered(request.Key);
        var value = new Numbered(request.Value);
        var headers = request.Headers.Select(static h => (h.Key, Value: new Numbered(h.Value))).ToArray();
        var inFlight = new Queue<(int N, string Key, string Value, Task Send)>();
        var acknowledged = 0;
        for (var n = 1; n <= request.Count && !stop.IsCancellationRequested; n++)
        {
            if (inFlight.Count == Window && await ReportOldestAsync() is { } failed)
            {
                return failed;
            }

            var number = n.ToString(CultureInfo.InvariantCulture);
            var keyText = key?.Text(number);
            var valueText = value.Text(number);
            var carried = new TmqHeaders();
            foreach (var (name, template) in headers)
            {
                carried.Add(name, template.Text(number));
            }

            var send = producer.SendAsync(request.Topic, keyText is null ? default : Encoding.UTF8.GetBytes(keyText), Encoding.UTF8.GetBytes(valueText), carried, CancellationToken.None);
            inFlight.Enqueue((n, keyText ?? "(none)", valueText, send));
        }

        while (inFlight.Count > 0)
        {
            if (await ReportOldestAsync() is { } failed)
            {
                return failed;
            }
        }

        if (acknowledged < request.Count)
        {
            error.WriteLine($"Stopped after {acknowledged} of {request.Count} message(s).");
        }
        else if (request.Quiet)
        {
            output.WriteLine($"sent {request.Count} message(s) to {request.Topic}.");
        }

        return ExitCodes.Success;

        async Task<int?> ReportOldestAsync()
        {
            var (sent, keyText, valueText, send) = inFlight.Dequeue();
            try
            {
                // A send under way is waited for even after a stop: nsqd's answer decides what is reported.
                await send.ConfigureAwait(false);
            }
            catch (TmqProduceException e)
            {
                error.WriteLine($"error: message {sent} of {request.Count} was not sent to {request.Topic} ({request.Target.Describe()}): {e.Message}");
                return ExitCodes.UnexpectedFailure;
            }

            acknowledged++;
            if (!request.Quiet)
            {
                output.WriteLine(request.Key is null
                    ? $"sent {request.Topic} value={NsqText.Show(valueText)}"
                    : $"sent {request.Topic} key={NsqText.Show(keyText)} value={NsqText.Show(valueText)}");
            }

            return null;
        }
    }

    /// <summary>A key, value or header text in which "{n}" becomes the message number.</summary>
    private sealed class Numbered(string text)
    {
        private readonly bool _numbered = text.Contains("{n}", StringComparison.Ordinal);

        public string Text(string number) => _numbered ? text.Replace("{n}", number, StringComparison.Ordinal) : text;
    }
}
