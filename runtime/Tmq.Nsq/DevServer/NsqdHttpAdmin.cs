namespace Tmq.Nsq.DevServer;

/// <summary>
/// nsqd's <c>POST /topic/{create,delete,empty,pause,unpause}?topic=</c> and
/// <c>POST /channel/{create,delete,empty,pause,unpause}?topic=&amp;channel=</c>, with nsqd's checks
/// and error messages per endpoint.
/// </summary>
internal sealed class NsqdHttpAdmin(DevBroker broker)
{
    private static readonly HttpResponse TopicNotFound = HttpResponse.Error(404, "TOPIC_NOT_FOUND");

    public HttpResponse Run(HttpRequest request)
    {
        if (!NsqdHttpApi.TryQuery(request, out var query, out var failure))
        {
            return failure!;
        }

        lock (broker.Gate)
        {
            return request.Path.StartsWith("/topic/", StringComparison.Ordinal)
                ? Topic(query, request.Path["/topic/".Length..])
                : Channel(query, request.Path["/channel/".Length..]);
        }
    }

    private HttpResponse Topic(QueryString query, string action)
    {
        if (query.Get("topic") is not { } name)
        {
            return HttpResponse.Error(400, "MISSING_ARG_TOPIC");
        }

        if (action is "create" or "empty" && !NsqNames.IsValid(name))
        {
            return HttpResponse.Error(400, "INVALID_TOPIC");
        }

        if (action == "create")
        {
            broker.GetOrCreateTopic(name);
            return HttpResponse.Empty();
        }

        if (broker.FindTopic(name) is not { } topic)
        {
            return TopicNotFound;
        }

        switch (action)
        {
            case "delete": broker.DeleteTopic(topic); break;
            case "empty": topic.Empty(); break;
            default: topic.SetPaused(action == "pause"); break;
        }

        return HttpResponse.Empty();
    }

    private HttpResponse Channel(QueryString query, string action)
    {
        // nsqd's GetTopicChannelArgs, then the topic must exist.
        var (topicName, channelName) = (query.Get("topic"), query.Get("channel"));
        var failure = topicName is null ? "MISSING_ARG_TOPIC"
            : !NsqNames.IsValid(topicName) ? "INVALID_ARG_TOPIC"
            : channelName is null ? "MISSING_ARG_CHANNEL"
            : !NsqNames.IsValid(channelName) ? "INVALID_ARG_CHANNEL"
            : null;
        if (failure is not null)
        {
            return HttpResponse.Error(400, failure);
        }

        if (broker.FindTopic(topicName!) is not { } topic)
        {
            return TopicNotFound;
        }

        if (action == "create")
        {
            topic.GetOrCreateChannel(channelName!);
            return HttpResponse.Empty();
        }

        if (!topic.Channels.TryGetValue(channelName!, out var channel))
        {
            return HttpResponse.Error(404, "CHANNEL_NOT_FOUND");
        }

        switch (action)
        {
            case "delete": topic.DeleteChannel(channel); break;
            case "empty": channel.Empty(); break;
            default: channel.SetPaused(action == "pause"); break;
        }

        return HttpResponse.Empty();
    }
}
