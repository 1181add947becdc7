namespace Tmq.Nsq.DevServer;

/// <summary>The parameters of <c>/stats</c> (<c>format</c>, <c>topic</c>, <c>channel</c>, <c>include_clients</c>, <c>include_mem</c>) and the topics they select.</summary>
internal sealed record StatsQuery(bool Json, string? Topic, string? Channel, bool IncludeClients, bool IncludeMemory)
{
    public static StatsQuery From(QueryString query) => new(
        query.Get("format") == "json",
        NullIfEmpty(query.Get("topic")),
        NullIfEmpty(query.Get("channel")),
        Flag(query.Get("include_clients")),
        Flag(query.Get("include_mem")));

    /// <summary>
    /// The selected topics and their selected channels, in name order; null when the topic filter
    /// names no topic (nsqd then reports <c>"topics": null</c>). A topic without the filtered
    /// channel is left out. Requires the gate.
    /// </summary>
    public List<(DevTopic Topic, List<DevChannel> Channels)>? Topics(DevBroker broker)
    {
        IEnumerable<DevTopic> topics;
        if (Topic is null)
        {
            topics = broker.Topics;
        }
        else if (broker.FindTopic(Topic) is { } one)
        {
            topics = [one];
        }
        else
        {
            return null;
        }

        var selected = new List<(DevTopic, List<DevChannel>)>();
        foreach (var topic in topics)
        {
            if (Channel is null)
            {
                selected.Add((topic, topic.Channels.Values.ToList()));
            }
            else if (topic.Channels.TryGetValue(Channel, out var channel))
            {
                selected.Add((topic, [channel]));
            }
        }

        return selected;
    }

    private static string? NullIfEmpty(string? text) => string.IsNullOrEmpty(text) ? null : text;

    // nsqd's boolParams: "true"/"1" and "false"/"0"; anything else (or nothing) is true.
    private static bool Flag(string? text) => text is not ("false" or "0");
}
