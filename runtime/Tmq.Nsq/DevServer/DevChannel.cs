namespace Tmq.Nsq.DevServer;

/// <summary>
/// One channel: its queue, deferred and in-flight messages, subscribed clients and counts; and the
/// pump that hands queued messages to clients whose RDY allows, in turn.
/// </summary>
/// <remarks>
/// Every member requires <see cref="DevBroker.Gate"/>. FIN, REQ, TOUCH and timeouts are in
/// DevChannel.InFlight.cs.
/// </remarks>
internal sealed partial class DevChannel
{
    private readonly DevBroker _broker;
    private readonly Queue<DevMessage> _ready = new();
    private readonly PriorityQueue<DevMessage, DateTimeOffset> _deferred = new();
    private readonly Dictionary<string, DevMessage> _inFlight = new(StringComparer.Ordinal);
    private readonly List<DevClient> _clients = [];
    private int _nextClient;

    public DevChannel(DevBroker broker, DevTopic topic, string name)
    {
        _broker = broker;
        Topic = topic;
        Name = name;
        Ephemeral = NsqNames.IsEphemeral(name);
    }

    public DevTopic Topic { get; }

    public string Name { get; }

    public bool Ephemeral { get; }

    public bool Paused { get; private set; }

    public IReadOnlyList<DevClient> Clients => _clients;

    public ulong MessageCount { get; private set; }

    public ulong RequeueCount { get; private set; }

    public ulong TimeoutCount { get; private set; }

    public int Depth => _ready.Count;

    public int InFlightCount => _inFlight.Count;

    public int DeferredCount => _deferred.Count;

    /// <summary>A message from the topic: deferred by its DPUB delay, else queued.</summary>
    public void Put(DevMessage message)
    {
        MessageCount++;
        var defer = message.TakeDefer();
        if (defer > TimeSpan.Zero)
        {
            _deferred.Enqueue(message, _broker.Now + defer);
            return;
        }

        Enqueue(message);
        Pump();
    }

    public void AddClient(DevClient client)
    {
        _clients.Add(client);
        Pump();
    }

    /// <summary>
    /// The client leaves; its in-flight messages stay in flight until they time out, as in nsqd.
    /// Returns true when an ephemeral channel lost its last client and is to be deleted.
    /// </summary>
    public bool RemoveClient(DevClient client)
    {
        _clients.Remove(client);
        return Ephemeral && _clients.Count == 0;
    }

    public void SetPaused(bool paused)
    {
        Paused = paused;
        Pump();
    }

    /// <summary>Drops every queued, deferred and in-flight message (<c>/channel/empty</c>); clients' in-flight counts restart at zero.</summary>
    public void Empty()
    {
        _ready.Clear();
        _deferred.Clear();
        _inFlight.Clear();
        foreach (var client in _clients)
        {
            client.InFlightCount = 0;
        }
    }

    private void Enqueue(DevMessage message)
    {
        // An ephemeral channel has no disk queue: nsqd drops what its memory queue cannot hold.
        if (Ephemeral && _ready.Count >= DevBroker.MemQueueSize)
        {
            return;
        }

        _ready.Enqueue(message);
    }

    /// <summary>Hands queued messages to clients whose RDY allows, one client after the other.</summary>
    public void Pump()
    {
        while (_ready.Count > 0 && !Paused && NextReadyClient() is { } client)
        {
            var message = _ready.Dequeue();
            if (client.SampleRate > 0 && Random.Shared.Next(100) > client.SampleRate)
            {
                continue; // nsqd's sampling drops the message for the whole channel
            }

            var now = _broker.Now;
            message.Attempts = unchecked((ushort)(message.Attempts + 1));
            message.ClientId = client.Id;
            message.DeliveredAt = now;
            message.Deadline = now + client.MsgTimeout;
            _inFlight[message.Id] = message;
            client.InFlightCount++;
            client.MessageCount++;
            client.Output.SendMessage(message);
        }
    }

    private DevClient? NextReadyClient()
    {
        for (var i = 0; i < _clients.Count; i++)
        {
            var index = (_nextClient + i) % _clients.Count;
            if (_clients[index].IsReadyForMessages)
            {
                _nextClient = (index + 1) % _clients.Count;
                return _clients[index];
            }
        }

        return null;
    }
}
