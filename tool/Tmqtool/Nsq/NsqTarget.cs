using System.CommandLine;
using Tmq.Nsq;
using Tmq.Nsq.Discovery;
using Tmqtool.Validation;

namespace Tmqtool.Nsq;

/// <summary>
/// Where an NSQ verb finds nsqd: fixed TCP addresses (<c>--nsqd</c>), or every nsqd that
/// nsqlookupd lists (<c>--lookupd</c>). Given instead of Kafka's <c>--bootstrap-servers</c>.
/// </summary>
internal sealed class NsqTarget
{
    internal const string NsqdOption = "--nsqd";
    internal const string LookupdOption = "--lookupd";

    internal const string NsqdRule = "nsqd's TCP address, host:port (nsqd listens on 4150 unless told otherwise), e.g. 127.0.0.1:4150; several separated by commas";
    internal const string LookupdRule = "nsqlookupd's HTTP address, e.g. http://127.0.0.1:4161 (or 127.0.0.1:4161); several separated by commas";

    private NsqTarget(IReadOnlyList<NsqAddress> nsqd, IReadOnlyList<Uri> nsqdHttp, IReadOnlyList<Uri> lookupd)
    {
        Nsqd = nsqd;
        NsqdHttp = nsqdHttp;
        Lookupd = lookupd;
    }

    internal IReadOnlyList<NsqAddress> Nsqd { get; }

    /// <summary>nsqd HTTP addresses given as <c>--nsqd http://host:port</c>, where a verb reads only nsqd's HTTP API (<c>lag</c>).</summary>
    internal IReadOnlyList<Uri> NsqdHttp { get; }

    internal IReadOnlyList<Uri> Lookupd { get; }

    /// <summary>What was given, for messages: "nsqd 127.0.0.1:4150" or "nsqlookupd http://127.0.0.1:4161/".</summary>
    internal string Describe() =>
        Nsqd.Count > 0 ? "nsqd " + string.Join(", ", Nsqd)
        : NsqdHttp.Count > 0 ? "nsqd " + string.Join(", ", NsqdHttp)
        : "nsqlookupd " + string.Join(", ", Lookupd);

    internal static Option<string[]> CreateNsqdOption() => new(NsqdOption)
    {
        Description = "NSQ: nsqd's TCP address, host:port[,host:port...]. Instead of --bootstrap-servers.",
        HelpName = "host:port",
        Arity = ArgumentArity.ZeroOrMore,
    };

    internal static Option<string[]> CreateLookupdOption() => new(LookupdOption)
    {
        Description = "NSQ: nsqlookupd's HTTP address, to use every nsqd it lists, e.g. http://127.0.0.1:4161. Instead of --nsqd.",
        HelpName = "url",
        Arity = ArgumentArity.ZeroOrMore,
    };

    /// <summary>
    /// The target the options name, or null when neither was given (a Kafka run). With
    /// <paramref name="httpAllowed"/>, an <c>--nsqd</c> entry may be nsqd's HTTP address (<c>http://host:4151</c>).
    /// </summary>
    internal static NsqTarget? Read(ParseResult parse, Option<string[]> nsqdOption, Option<string[]> lookupdOption, bool httpAllowed = false)
    {
        var nsqd = Split(parse, nsqdOption, NsqdRule, "e.g. --nsqd 127.0.0.1:4150");
        var lookupd = Split(parse, lookupdOption, LookupdRule, "e.g. --lookupd http://127.0.0.1:4161");
        if (nsqd is null && lookupd is null)
        {
            return null;
        }

        if (nsqd is not null && lookupd is not null)
        {
            throw new InputException(
                "--nsqd and --lookupd are both given.",
                "one way to find nsqd: fixed addresses, or the nsqd that nsqlookupd lists",
                "keep --nsqd for a single nsqd, or --lookupd for a cluster");
        }

        var addresses = new List<NsqAddress>();
        var http = new List<Uri>();
        foreach (var value in nsqd ?? [])
        {
            if (httpAllowed && value.StartsWith("http://", StringComparison.Ordinal))
            {
                if (!NsqAddress.TryParseLookupd(value, out var uri) || uri.Port is < 1 or > 65535)
                {
                    throw InputException.Invalid(NsqdOption, value, "nsqd address", NsqdRule + ", or nsqd's HTTP address, e.g. http://127.0.0.1:4151", "e.g. --nsqd http://127.0.0.1:4151");
                }

                http.Add(uri);
                continue;
            }

            if (!NsqAddress.TryParse(value, out var address) || value != value.Trim() || value.Contains("://", StringComparison.Ordinal))
            {
                throw InputException.Invalid(NsqdOption, value, "nsqd address", NsqdRule, "e.g. --nsqd 127.0.0.1:4150 (for nsqlookupd's HTTP address use --lookupd)");
            }

            if (!addresses.Contains(address))
            {
                addresses.Add(address);
            }
        }

        var uris = new List<Uri>();
        foreach (var value in lookupd ?? [])
        {
            if (!NsqAddress.TryParseLookupd(value, out var uri) || value != value.Trim() || uri.Port is < 1 or > 65535)
            {
                throw InputException.Invalid(LookupdOption, value, "nsqlookupd address", LookupdRule, "e.g. --lookupd http://127.0.0.1:4161");
            }

            if (!uris.Contains(uri))
            {
                uris.Add(uri);
            }
        }

        if (addresses.Count > 0 && http.Count > 0)
        {
            throw new InputException("--nsqd mixes TCP (host:port) and HTTP (http://host:port) addresses.", "one kind for all nsqd", "give every nsqd's HTTP address, e.g. --nsqd http://127.0.0.1:4151");
        }

        return new NsqTarget(addresses, http, uris);
    }

    /// <summary>
    /// The nsqd that have <paramref name="topic"/>: the fixed ones, or those any lookupd lists
    /// (with <paramref name="orAny"/>, every nsqd the lookupds know when none has the topic yet,
    /// for a producer that creates it; with <paramref name="every"/>, every nsqd they know, whatever
    /// topics it has, for a message each subscriber reads on every nsqd).
    /// </summary>
    /// <exception cref="NsqVerbException">No lookupd answered, or none lists an nsqd.</exception>
    internal async Task<IReadOnlyList<NsqdNode>> FindAsync(string topic, bool orAny, TimeSpan timeout, CancellationToken cancellationToken, bool every = false)
    {
        if (Nsqd.Count > 0)
        {
            return [.. Nsqd.Select(static a => new NsqdNode(a, 0))];
        }

        using var http = new HttpClient { Timeout = timeout };
        var lookupd = new LookupdClient(http);
        var found = new List<NsqdNode>();
        var failures = new List<string>();
        foreach (var uri in Lookupd)
        {
            try
            {
                var nodes = every ? [] : await lookupd.LookupNodesAsync(uri, topic, cancellationToken).ConfigureAwait(false);
                if (nodes.Count == 0 && orAny)
                {
                    nodes = await lookupd.NodesAsync(uri, cancellationToken).ConfigureAwait(false);
                }

                found.AddRange(nodes.Where(n => !found.Exists(f => f.Tcp == n.Tcp)));
            }
            catch (Exception e) when (e is HttpRequestException or FormatException or TaskCanceledException && !cancellationToken.IsCancellationRequested)
            {
                failures.Add($"{uri}: {(e is TaskCanceledException ? $"no answer within {timeout.TotalSeconds:0} s" : e.Message)}");
            }
        }

        if (found.Count > 0)
        {
            return found;
        }

        if (failures.Count == Lookupd.Count)
        {
            throw new NsqVerbException($"no nsqlookupd answered ({string.Join("; ", failures)}).");
        }

        throw new NsqVerbException(orAny
            ? $"nsqlookupd ({string.Join(", ", Lookupd)}) lists no nsqd at all: start nsqd with --lookupd-tcp-address pointing at it, or pass --nsqd."
            : $"no nsqd has topic {topic} (asked nsqlookupd {string.Join(", ", Lookupd)}): check the name, or publish to it first.");
    }

    /// <summary>
    /// The topic's counts on each nsqd (<see cref="NsqdAnswer.Stats"/> null: it has no such topic), from
    /// nsqd's HTTP API; <see cref="NsqdAnswer.Failure"/> says why one could not be asked.
    /// </summary>
    internal static async Task<List<NsqdAnswer>> ReadStatsAsync(IEnumerable<(string Name, Uri? Http)> nsqds, string topic, TimeSpan timeout, CancellationToken stop)
    {
        using var http = new HttpClient { Timeout = timeout };
        var answers = new List<NsqdAnswer>();
        foreach (var (name, uri) in nsqds)
        {
            try
            {
                answers.Add(uri is null
                    ? new NsqdAnswer(name, null, null, "no HTTP port is known for it")
                    : new NsqdAnswer(name, uri, await NsqdStats.GetTopicAsync(http, uri, topic, stop).ConfigureAwait(false), null));
            }
            catch (Exception e) when (e is HttpRequestException or FormatException or TaskCanceledException && !stop.IsCancellationRequested)
            {
                answers.Add(new NsqdAnswer(name, uri, null, e is TaskCanceledException ? $"no answer within {timeout.TotalSeconds:0} s" : e.Message));
            }
        }

        return answers;
    }

    /// <summary>The <see cref="ReadStatsAsync"/> pairs of the nsqd found: each TCP address with its HTTP API.</summary>
    internal static IEnumerable<(string Name, Uri? Http)> Http(IEnumerable<NsqdNode> nodes) =>
        nodes.Select(static n => (n.Tcp.ToString(), n.HttpOrNextPort));

    private static string[]? Split(ParseResult parse, Option<string[]> option, string rule, string fix)
    {
        var values = parse.GetValue(option);
        if (values is null || values.Length == 0)
        {
            // The option takes zero values so that a following option is not read as its value; given
            // bare, it must not fall through to a Kafka run that asks for --bootstrap-servers.
            return parse.GetResult(option) is { Implicit: false }
                ? throw new InputException($"{option.Name} is given without an address.", rule, fix)
                : null;
        }

        foreach (var value in values.Where(static v => v.Length > 0 && v.Split(',').Any(static part => part.Length == 0)))
        {
            throw new InputException($"{option.Name} {Display.Quote(value)} has an empty entry.", rule, $"remove the extra comma; {fix}");
        }

        return [.. values.SelectMany(static v => v.Length == 0 ? [v] : v.Split(',', StringSplitOptions.None))];
    }
}

/// <summary>One nsqd's answer to /stats for a topic: its counts (null: no such topic), or why it could not be asked.</summary>
internal sealed record NsqdAnswer(string Nsqd, Uri? Http, NsqdTopicStats? Stats, string? Failure);

/// <summary>An NSQ verb could not do its work (nsqd unreachable, topic unknown, refused); the message says why. Exit code 1.</summary>
internal sealed class NsqVerbException(string message) : Exception(message);
