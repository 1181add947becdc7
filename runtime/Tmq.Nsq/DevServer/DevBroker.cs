using System.Globalization;
using System.Text;

namespace Tmq.Nsq.DevServer;

/// <summary>
/// The state of the development nsqd: topics, channels, messages and connected clients.
/// </summary>
/// <remarks>
/// Concurrency model: one lock, <see cref="Gate"/>, guards every topic, channel, message and
/// <see cref="DevClient"/>. Each connection's read loop takes it to run a command; the HTTP API,
/// the public helpers of <see cref="DevNsqd"/> and the 100 ms queue scan take it too. Under the gate
/// nothing waits: frames go to a connection's <see cref="FrameOutput"/> queue, whose own write loop
/// is the only writer of that socket. A development server trades parallelism for this simplicity.
/// </remarks>
internal sealed class DevBroker : IDisposable
{
    /// <summary>nsqd's <c>--mem-queue-size</c>: what an ephemeral topic or channel holds before it drops messages.</summary>
    public const int MemQueueSize = 10_000;

    /// <summary>nsqd's <c>--queue-scan-interval</c>: how often timeouts and deferrals are looked for.</summary>
    public static readonly TimeSpan ScanInterval = TimeSpan.FromMilliseconds(100);

    private static readonly DateTimeOffset IdEpoch = new(2020, 1, 1, 0, 0, 0, TimeSpan.Zero);

    private readonly Dictionary<string, DevTopic> _topics = new(StringComparer.Ordinal);
    private readonly Dictionary<long, DevClient> _clients = [];
    private readonly ITimer _scan;
    private long _lastClientId;
    private long _lastMessageId;

    public DevBroker(DevNsqdOptions options)
    {
        Options = options;
        StartTime = options.TimeProvider.GetUtcNow();
        // Ids start from the clock (milliseconds since 2020, shifted as nsqd's are), so that two
        // servers of one test run do not reuse them.
        _lastMessageId = Math.Max(0, (StartTime - IdEpoch).Ticks / TimeSpan.TicksPerMillisecond) << 22;
        _scan = options.TimeProvider.CreateTimer(_ => Scan(), null, ScanInterval, ScanInterval);
    }

    public Lock Gate { get; } = new();

    public DevNsqdOptions Options { get; }

    public DateTimeOffset StartTime { get; }

    public DateTimeOffset Now => Options.TimeProvider.GetUtcNow();

    public bool AuthEnabled => Options.AuthSecret is not null;

    /// <summary>The topics, in ordinal order of their names. Requires the gate.</summary>
    public IEnumerable<DevTopic> Topics => _topics.Values.OrderBy(t => t.Name, StringComparer.Ordinal);

    /// <summary>Connected clients. Requires the gate.</summary>
    public IEnumerable<DevClient> Clients => _clients.Values.OrderBy(c => c.Id);

    public long NextClientId() => Interlocked.Increment(ref _lastClientId);

    public DevTopic? FindTopic(string name) => _topics.GetValueOrDefault(name);

    /// <summary>Requires the gate.</summary>
    public DevTopic GetOrCreateTopic(string name)
    {
        if (!_topics.TryGetValue(name, out var topic))
        {
            topic = new DevTopic(this, name);
            _topics.Add(name, topic);
        }

        return topic;
    }

    /// <summary>Requires the gate.</summary>
    public void DeleteTopic(DevTopic topic)
    {
        _topics.Remove(topic.Name);
        foreach (var channel in topic.Channels.Values.ToList())
        {
            topic.DeleteChannel(channel);
        }

        topic.Empty();
    }

    /// <summary>
    /// Publishes <paramref name="bodies"/> to <paramref name="topicName"/> (created if new), counted
    /// for <paramref name="publisher"/>'s stats when a TCP client sent them. Takes the gate once.
    /// </summary>
    public void Publish(string topicName, IReadOnlyList<byte[]> bodies, TimeSpan defer, DevClient? publisher = null)
    {
        lock (Gate)
        {
            var topic = GetOrCreateTopic(topicName);
            foreach (var body in bodies)
            {
                topic.Publish(NewMessage(body, defer));
            }

            publisher?.Published(topicName, bodies.Count);
        }
    }

    /// <summary>Requires the gate.</summary>
    public void Connect(DevClient client) => _clients.Add(client.Id, client);

    /// <summary>Requires the gate.</summary>
    public void Subscribe(DevClient client, string topicName, string channelName)
    {
        var channel = GetOrCreateTopic(topicName).GetOrCreateChannel(channelName);
        client.State = ClientState.Subscribed;
        client.Channel = channel;
        channel.AddClient(client);
    }

    /// <summary>Requires the gate.</summary>
    public void Disconnect(DevClient client)
    {
        _clients.Remove(client.Id);
        var channel = client.Channel;
        if (channel is not null && channel.RemoveClient(client) && channel.Topic.Channels.ContainsValue(channel))
        {
            channel.Topic.DeleteChannel(channel);
        }
    }

    public void Dispose() => _scan.Dispose();

    private DevMessage NewMessage(byte[] body, TimeSpan defer)
    {
        var id = Interlocked.Increment(ref _lastMessageId).ToString("x16", CultureInfo.InvariantCulture);
        var nanoseconds = (Now - DateTimeOffset.UnixEpoch).Ticks * 100;
        return new DevMessage(id, Encoding.ASCII.GetBytes(id), body, nanoseconds, defer);
    }

    private void Scan()
    {
        lock (Gate)
        {
            var now = Now;
            foreach (var topic in _topics.Values)
            {
                foreach (var channel in topic.Channels.Values)
                {
                    channel.Scan(now);
                }
            }
        }
    }
}
