namespace Tmq.Nsq.DevServer;

/// <summary>
/// One topic: gives each of its channels a copy of every message. While it has no channel (or is
/// paused) it keeps the messages, and hands them over when that changes, as nsqd's topic pump does.
/// </summary>
/// <remarks>Every member requires <see cref="DevBroker.Gate"/>.</remarks>
internal sealed class DevTopic
{
    private readonly DevBroker _broker;
    private readonly Queue<DevMessage> _held = new();

    public DevTopic(DevBroker broker, string name)
    {
        _broker = broker;
        Name = name;
        Ephemeral = NsqNames.IsEphemeral(name);
    }

    public string Name { get; }

    public bool Ephemeral { get; }

    public bool Paused { get; private set; }

    /// <summary>The channels, in ordinal order of their names (the order of <c>/stats</c>).</summary>
    public SortedDictionary<string, DevChannel> Channels { get; } = new(StringComparer.Ordinal);

    public ulong MessageCount { get; private set; }

    public ulong MessageBytes { get; private set; }

    public int Depth => _held.Count;

    public void Publish(DevMessage message)
    {
        MessageCount++;
        MessageBytes += (ulong)message.Body.Length;
        if (Channels.Count == 0 || Paused)
        {
            if (!Ephemeral || _held.Count < DevBroker.MemQueueSize)
            {
                _held.Enqueue(message);
            }

            return;
        }

        Distribute(message);
    }

    public DevChannel GetOrCreateChannel(string name)
    {
        if (!Channels.TryGetValue(name, out var channel))
        {
            channel = new DevChannel(_broker, this, name);
            Channels.Add(name, channel);
            Release();
        }

        return channel;
    }

    /// <summary>Removes the channel and its messages; nsqd closes the connections subscribed to it.</summary>
    public void DeleteChannel(DevChannel channel)
    {
        Channels.Remove(channel.Name);
        channel.Empty();
        foreach (var client in channel.Clients)
        {
            client.Output.Complete();
        }

        if (Ephemeral && Channels.Count == 0 && _broker.FindTopic(Name) == this)
        {
            _broker.DeleteTopic(this);
        }
    }

    public void SetPaused(bool paused)
    {
        Paused = paused;
        Release();
    }

    /// <summary>Drops the messages the topic holds (<c>/topic/empty</c>); its channels keep theirs, as in nsqd.</summary>
    public void Empty() => _held.Clear();

    private void Release()
    {
        while (!Paused && Channels.Count > 0 && _held.TryDequeue(out var message))
        {
            Distribute(message);
        }
    }

    private void Distribute(DevMessage message)
    {
        var remaining = Channels.Count;
        foreach (var channel in Channels.Values)
        {
            // Copies are made before a channel takes the DPUB delay off the message; the last
            // channel gets the original.
            channel.Put(--remaining == 0 ? message : message.CopyForChannel());
        }
    }
}
