using System.Globalization;
using Confluent.Kafka;
using Tmq.Kafka;

namespace Tmq.Chaos.Tests;

/// <summary>
/// What the broker-fault tests share: the embedded cluster with the keyed topic and its dead-letter
/// topic, a producer that remembers where each message landed, the worker's settings, and readers
/// of the group's committed offsets and of the dead-letter topic.
/// </summary>
internal sealed class KafkaFaultRig : IDisposable
{
    public const string Topic = "faults";
    public const string DeadLetterTopic = "faults.dlq";
    public const string Group = "chaos.kafka.faults";
    public const int Partitions = 6;

    private readonly Dictionary<(string Key, int Sequence), TopicPartitionOffset> _landed = [];
    private readonly Dictionary<(string Key, int Sequence), int> _deadLetters = [];
    private readonly Lock _snapshotGate = new();
    private IConsumer<string, string>? _deadLetterReader;
    private IConsumer<string, string>? _groupReader;

    private KafkaFaultRig(int brokers, int keys, int perKey)
    {
        // One replica: the embedded broker moves no leadership when a broker goes down, so more
        // replicas would change nothing but place the leaders at random, and a broker taken down
        // might lead nothing. With one, partition p is led by broker 1 + p % brokers.
        Broker = EmbeddedKafkaBroker.Start(brokers);
        Broker.CreateTopic(Topic, Partitions);
        Broker.CreateTopic(DeadLetterTopic, 1);
        KeyNames = [.. Enumerable.Range(1, keys).Select(static k => $"k{k:D3}")];
        PerKey = perKey;
    }

    public EmbeddedKafkaBroker Broker { get; }

    public TempFolder Work { get; } = new();

    public IReadOnlyList<string> KeyNames { get; }

    public int PerKey { get; }

    public int Messages => KeyNames.Count * PerKey;

    public static KafkaFaultRig Start(int brokers, int keys, int perKey) => new(brokers, keys, perKey);

    /// <summary>The worker's settings: the crash test's, plus <paramref name="extra"/>.</summary>
    public Dictionary<string, string> WorkerSettings(params (string Name, string Value)[] extra)
    {
        var settings = new Dictionary<string, string>
        {
            ["CHAOS_DELAY_MS"] = "1",
            ["Tmq__Service"] = Group,
            ["Tmq__Consumers__main__Topic"] = Topic,
            ["Tmq__Consumers__main__Kafka__bootstrap.servers"] = Broker.BootstrapServers,
            ["Tmq__Consumers__main__Kafka__session.timeout.ms"] = "6000",
            ["Tmq__Consumers__main__Kafka__heartbeat.interval.ms"] = "1000",
            ["Tmq__Consumers__main__DeadLetter__RetryDelay"] = "00:00:00.100",
        };
        foreach (var (name, value) in extra)
        {
            settings[name] = value;
        }

        return settings;
    }

    /// <summary>
    /// Produces every key's messages 1..PerKey, in order per key (idempotent producer), one round of
    /// all keys at a time; with <paramref name="roundInterval"/> a round starts at most that often,
    /// so that the load lasts while faults come and go. Completes when every message is acknowledged.
    /// </summary>
    public async Task ProduceAsync(TimeSpan? roundInterval = null, CancellationToken cancellationToken = default)
    {
        var config = new ProducerConfig
        {
            BootstrapServers = Broker.BootstrapServers,
            EnableIdempotence = true,
            LingerMs = 5,
            ReconnectBackoffMs = 50,
            ReconnectBackoffMaxMs = 500,
        };
        using var producer = new ProducerBuilder<string, string>(config).SetLogHandler(static (_, _) => { }).Build();
        using var pace = roundInterval is { } interval ? new PeriodicTimer(interval) : null;
        var failed = 0;
        for (var sequence = 1; sequence <= PerKey; sequence++)
        {
            if (pace is not null && sequence > 1)
            {
                await pace.WaitForNextTickAsync(cancellationToken);
            }

            foreach (var key in KeyNames)
            {
                var id = (key, sequence);
                producer.Produce(Topic, new Message<string, string> { Key = key, Value = sequence.ToString(CultureInfo.InvariantCulture) }, report =>
                {
                    lock (_landed)
                    {
                        if (report.Error.IsError)
                        {
                            failed++;
                        }
                        else
                        {
                            _landed[id] = report.TopicPartitionOffset;
                        }
                    }
                });
            }
        }

        await Task.Run(() => producer.Flush(TimeSpan.FromSeconds(120)), cancellationToken);
        lock (_landed)
        {
            Assert.True(failed == 0 && _landed.Count == Messages, $"{failed} of {Messages} message(s) could not be produced; {_landed.Count} landed");
        }
    }

    /// <summary>
    /// The worker's record as it is now, up to its last complete line: a line the worker is writing
    /// as the record is read can be seen in part, which the verifier would misread.
    /// </summary>
    public HandledMessages Handled()
    {
        lock (_snapshotGate)
        {
            if (!File.Exists(Work.Record))
            {
                return HandledMessages.Read(Work.Record);
            }

            using var record = new FileStream(Work.Record, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
            using var copy = new MemoryStream();
            record.CopyTo(copy);
            var bytes = copy.GetBuffer().AsSpan(0, (int)copy.Length);
            var snapshot = Path.Combine(Work.Path, "snapshot.txt");
            File.WriteAllBytes(snapshot, bytes[..(bytes.LastIndexOf((byte)'\n') + 1)]);
            return HandledMessages.Read(snapshot);
        }
    }

    /// <summary>The messages acknowledged so far.</summary>
    public int Produced
    {
        get
        {
            lock (_landed)
            {
                return _landed.Count;
            }
        }
    }

    /// <summary>Where a produced message landed.</summary>
    public TopicPartitionOffset Landed(string key, int sequence)
    {
        lock (_landed)
        {
            return _landed[(key, sequence)];
        }
    }

    /// <summary>The partition each key's messages went to (the default partitioner keeps a key on one partition).</summary>
    public int PartitionOf(string key) => Landed(key, 1).Partition.Value;

    /// <summary>One past the last offset of each partition, as produced.</summary>
    public long[] EndOffsets()
    {
        var ends = new long[Partitions];
        lock (_landed)
        {
            foreach (var landed in _landed.Values)
            {
                ends[landed.Partition.Value] = Math.Max(ends[landed.Partition.Value], landed.Offset.Value + 1);
            }
        }

        return ends;
    }

    /// <summary>The broker that leads each partition of the topic.</summary>
    public int[] Leaders()
    {
        using var admin = new AdminClientBuilder(new AdminClientConfig { BootstrapServers = Broker.BootstrapServers }).SetLogHandler(static (_, _) => { }).Build();
        var topic = admin.GetMetadata(Topic, TimeSpan.FromSeconds(10)).Topics.Single();
        return [.. topic.Partitions.OrderBy(static p => p.PartitionId).Select(static p => p.Leader)];
    }

    /// <summary>
    /// For each partition, the offset of its first message not handled yet (one past the last
    /// produced when all are): what the group may commit at most, and must reach in the end.
    /// </summary>
    public long[] HandledPrefix(HandledMessages handled)
    {
        var prefix = EndOffsets();
        lock (_landed)
        {
            foreach (var missing in handled.Missing(KeyNames, PerKey))
            {
                var hash = missing.IndexOf('#', StringComparison.Ordinal);
                if (_landed.TryGetValue((missing[..hash], int.Parse(missing[(hash + 1)..], CultureInfo.InvariantCulture)), out var landed))
                {
                    prefix[landed.Partition.Value] = Math.Min(prefix[landed.Partition.Value], landed.Offset.Value);
                }
            }
        }

        return prefix;
    }

    /// <summary>The group's committed offset of each partition (0 where nothing is committed), read from the coordinator.</summary>
    public long[] Committed()
    {
        _groupReader ??= new ConsumerBuilder<string, string>(new ConsumerConfig
        {
            BootstrapServers = Broker.BootstrapServers,
            GroupId = Group,
            EnableAutoCommit = false,
        }).SetLogHandler(static (_, _) => { }).Build();
        var committed = _groupReader.Committed(Enumerable.Range(0, Partitions).Select(static p => new TopicPartition(Topic, p)), TimeSpan.FromSeconds(10));
        return [.. committed.OrderBy(static c => c.Partition.Value).Select(static c => Math.Max(0, c.Offset.Value))];
    }

    /// <summary>Every message in the dead-letter topic up to its end now, with the number of times it is there.</summary>
    public IReadOnlyDictionary<(string Key, int Sequence), int> DeadLetters()
    {
        if (_deadLetterReader is null)
        {
            _deadLetterReader = new ConsumerBuilder<string, string>(new ConsumerConfig
            {
                BootstrapServers = Broker.BootstrapServers,
                GroupId = "dead-letter-reader",
                EnableAutoCommit = false,
                FetchWaitMaxMs = 50,
            }).SetLogHandler(static (_, _) => { }).Build();
            _deadLetterReader.Assign(new TopicPartitionOffset(DeadLetterTopic, 0, Offset.Beginning));
        }

        var partition = new TopicPartition(DeadLetterTopic, 0);
        var end = _deadLetterReader.QueryWatermarkOffsets(partition, TimeSpan.FromSeconds(10)).High.Value;
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        while (_deadLetters.Values.Sum() < end)
        {
            Assert.True(DateTime.UtcNow < deadline, $"the dead-letter topic holds {end} message(s) and only {_deadLetters.Values.Sum()} could be read");
            if (_deadLetterReader.Consume(TimeSpan.FromMilliseconds(100)) is { Message: { } message })
            {
                var id = (message.Key, int.Parse(message.Value, CultureInfo.InvariantCulture));
                _deadLetters[id] = _deadLetters.GetValueOrDefault(id) + 1;
            }
        }

        return _deadLetters;
    }

    /// <summary>How many of the worker's log lines carry <paramref name="eventId"/> (e.g. 2004, partitions lost).</summary>
    public static int Logged(WorkerProcess worker, int eventId)
    {
        var tag = string.Create(CultureInfo.InvariantCulture, $"[{eventId}]");
        return worker.Output.Split('\n').Count(l => l.Contains(tag, StringComparison.Ordinal));
    }

    /// <summary>
    /// The invariants every fault test holds: every message handled, each key's messages first
    /// handled in production order. Returns the record for the test's own figures.
    /// </summary>
    public HandledMessages Verify()
    {
        var handled = Handled();
        var missing = handled.Missing(KeyNames, PerKey);
        Assert.True(missing.Count == 0, $"{missing.Count} message(s) never handled: {string.Join(", ", missing.Take(20))}");
        var outOfOrder = handled.KeysOutOfOrder();
        Assert.True(outOfOrder.Count == 0, $"{outOfOrder.Count} key(s) first handled out of production order: {string.Join(", ", outOfOrder.Take(20))}");
        return handled;
    }

    public static string Describe(long[] offsets) => string.Join(' ', offsets.Select(static (o, p) => string.Create(CultureInfo.InvariantCulture, $"{p}:{o}")));

    public void Dispose()
    {
        _deadLetterReader?.Dispose();
        _groupReader?.Dispose();
        Broker.Dispose();
        Work.Dispose();
    }
}
