#:package Tmq.Kafka@__TMQ_VERSION__
#:property PublishAot=false
#:property TreatWarningsAsErrors=false
#:property Nullable=enable
#:property InvariantGlobalization=true

// The Kafka helper of tmqtool (`dev kafka`, `produce`, `tail`, `lag`, `dlq replay`, `pause`, `resume`, `set`, `status`, `trace`, and the feed of `console`). The tool writes this file into
// ~/.tmqtool/dev/<version>/ and runs it with `dotnet run`, so that the tool itself carries no
// Confluent.Kafka or native librdkafka (146 MB): they are restored once, like any package.
// The tool validates every value first and passes one JSON argument. The helper stops on
// Ctrl+C, SIGTERM, or when its standard input ends (the tool closes it to stop the helper, and
// a tool that dies closes it too, so no broker outlives it).
// Exit codes: 0 done, 1 failed or timed out (a message says why).
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Confluent.Kafka;
using Confluent.Kafka.Admin;
using Tmq.Control;
using Tmq.Kafka;

var request = JsonDocument.Parse(args[0]).RootElement;
using var stop = new CancellationTokenSource();
Console.CancelKeyPress += (_, e) =>
{
    e.Cancel = true;
    stop.Cancel();
};
using var sigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, c =>
{
    c.Cancel = true;
    stop.Cancel();
});
_ = Task.Run(() =>
{
    try
    {
        while (Console.In.ReadLine() is not null)
        {
        }
    }
    catch (IOException)
    {
    }

    stop.Cancel();
});

try
{
    return request.GetProperty("verb").GetString() switch
    {
        "dev-kafka" => await Helper.DevKafka(request, stop.Token),
        "produce" => await Helper.Produce(request, stop.Token),
        "tail" => Helper.Tail(request, stop.Token),
        "lag" => Helper.Lag(request),
        "dlq-replay" => await Helper.DlqReplay(request, stop.Token),
        "control" => await Helper.Control(request, stop.Token),
        "status" => Helper.Status(request, stop.Token),
        "trace" => Helper.Trace(request, stop.Token),
        "console-feed" => Helper.ConsoleFeed(request, stop.Token),
        var verb => throw new InvalidOperationException($"unknown helper verb {verb}"),
    };
}
catch (KafkaException e) when (request.TryGetProperty("bootstrapServers", out var servers))
{
    // Name the address: "Broker transport failure" alone does not say which broker was meant.
    Console.Error.WriteLine($"error: {e.Message} (bootstrap servers {servers.GetString()}).");
    return 1;
}
catch (Exception e) when (e is KafkaException or InvalidOperationException or ArgumentException or IOException or SocketException or DllNotFoundException or TimeoutException)
{
    Console.Error.WriteLine("error: " + e.Message);
    return 1;
}

static class Helper
{
    public static async Task<int> DevKafka(JsonElement request, CancellationToken stop)
    {
        var brokers = request.GetProperty("brokers").GetInt32();
        var bootstrapFile = request.GetProperty("bootstrapFile").GetString();
        using var broker = EmbeddedKafkaBroker.Start(brokers);
        var topics = new List<string>();
        foreach (var topic in request.GetProperty("topics").EnumerateArray())
        {
            var name = topic.GetProperty("name").GetString()!;
            var partitions = topic.GetProperty("partitions").GetInt32();
            broker.CreateTopic(name, partitions);
            topics.Add($"{name} ({partitions} partition{(partitions == 1 ? "" : "s")})");
        }

        var bootstrap = broker.BootstrapServers;
        var port = request.GetProperty("port").GetInt32();
        using var listener = port > 0 ? new TcpListener(IPAddress.Loopback, port) : null;
        if (listener is not null)
        {
            try
            {
                listener.Start();
            }
            catch (SocketException e)
            {
                throw new InvalidOperationException($"port {port} on 127.0.0.1 is not free ({e.Message}); pick another --port or leave it out for a random one.");
            }

            var first = bootstrap.Split(',')[0];
            _ = Forward(listener, first, stop);
            bootstrap = $"127.0.0.1:{port}";
        }

        Console.WriteLine($"Embedded Kafka broker started: {brokers} broker{(brokers == 1 ? "" : "s")} (librdkafka mock cluster, in memory).");
        Console.WriteLine(topics.Count == 0
            ? "Topics: none created; a producer's first message creates a topic with 4 partitions."
            : "Topics: " + string.Join(", ", topics) + ". Other topics are created with 4 partitions on first use.");
        if (listener is not null)
        {
            Console.WriteLine($"Port {bootstrap} forwards to the broker's own address {broker.BootstrapServers}.");
        }

        Console.WriteLine("Consumer groups: a restarted member may wait up to its session.timeout.ms to rejoin (librdkafka's default is 45 s; a generated worker's appsettings.Development.json sets 6 s).");

        if (bootstrapFile is not null)
        {
            var temporary = bootstrapFile + ".tmp";
            await File.WriteAllTextAsync(temporary, bootstrap + "\n", CancellationToken.None);
            File.Move(temporary, bootstrapFile, overwrite: true);
        }

        // Printed after the file is in place: either signal means the broker is ready.
        Console.WriteLine("bootstrap.servers=" + bootstrap);
        Console.WriteLine("Running; stop with Ctrl+C (or SIGTERM).");
        try
        {
            await Task.Delay(Timeout.Infinite, stop);
        }
        catch (OperationCanceledException)
        {
        }

        if (bootstrapFile is not null)
        {
            File.Delete(bootstrapFile);
        }

        Console.WriteLine("Embedded Kafka broker stopped.");
        return 0;
    }

    public static async Task<int> Produce(JsonElement request, CancellationToken stop)
    {
        var topic = request.GetProperty("topic").GetString()!;
        var key = request.GetProperty("key").GetString();
        var value = request.GetProperty("value").GetString()!;
        var count = request.GetProperty("count").GetInt32();
        var quiet = request.TryGetProperty("quiet", out var q) && q.GetBoolean();
        var timeout = request.GetProperty("timeoutSeconds").GetInt32();
        var config = new ProducerConfig
        {
            BootstrapServers = request.GetProperty("bootstrapServers").GetString(),
            Acks = Acks.All,
            MessageTimeoutMs = timeout * 1000,
            EnableIdempotence = true,
            LingerMs = 5,
            ClientId = "tmqtool-produce",
        };
        // The last broker error: a timed-out send says why (refused, unresolvable) instead of only "timed out".
        string? brokerError = null;
        using var producer = new ProducerBuilder<byte[]?, byte[]>(config)
            .SetLogHandler(static (_, _) => { })
            .SetErrorHandler((_, e) => brokerError = Unreachable(e) ?? brokerError)
            .Build();

        var keyText = key is null ? null : new Numbered(key);
        var valueText = new Numbered(value);
        var headers = request.GetProperty("headers").EnumerateArray()
            .Select(h => (Name: h.GetProperty("name").GetString()!, Value: new Numbered(h.GetProperty("value").GetString()!)))
            .ToArray();

        // Up to MaxInFlight sends are under way at once (idempotence keeps each partition's order);
        // acknowledgements are reported in send order.
        const int MaxInFlight = 1000;
        var inFlight = new Queue<(int N, Task<DeliveryResult<byte[]?, byte[]>> Delivery)>();
        var acknowledged = 0;
        for (var n = 1; n <= count && !stop.IsCancellationRequested; n++)
        {
            if (inFlight.Count == MaxInFlight && await ReportOldestAsync() is { } failed)
            {
                return failed;
            }

            var number = n.ToString(CultureInfo.InvariantCulture);
            var message = new Message<byte[]?, byte[]>
            {
                Key = keyText?.Bytes(number),
                Value = valueText.Bytes(number),
                Headers = [],
            };
            foreach (var (name, template) in headers)
            {
                message.Headers.Add(name, template.Bytes(number));
            }

            inFlight.Enqueue((n, producer.ProduceAsync(topic, message, CancellationToken.None)));
        }

        while (inFlight.Count > 0)
        {
            if (await ReportOldestAsync() is { } failed)
            {
                return failed;
            }
        }

        if (acknowledged < count)
        {
            Console.Error.WriteLine($"Stopped after {acknowledged} of {count} message(s).");
        }
        else if (quiet)
        {
            Console.WriteLine($"sent {count} message(s) to {topic}.");
        }

        return 0;

        // Waits for the oldest send; returns an exit code to stop with, or null to go on.
        async Task<int?> ReportOldestAsync()
        {
            var (sent, delivery) = inFlight.Dequeue();
            DeliveryResult<byte[]?, byte[]> result;
            try
            {
                // Not cancelled by a stop: a stop ends the sending, and what librdkafka already holds is
                // delivered or fails within --timeout and is reported, rather than dropped unsaid on exit.
                result = await delivery;
            }
            catch (ProduceException<byte[]?, byte[]> e)
            {
                var why = e.Error.Code == ErrorCode.Local_MsgTimedOut && brokerError is not null ? $" The brokers were not reached: {brokerError}." : "";
                Console.Error.WriteLine($"error: message {sent} of {count} was not sent to {topic} at {config.BootstrapServers}: {e.Error.Reason}.{why}");
                return 1;
            }

            acknowledged++;
            if (!quiet)
            {
                Console.WriteLine($"sent {Position(result.Topic, result.Partition.Value, result.Offset.Value)} key={Show(result.Message.Key)} value={Show(result.Message.Value)}");
            }

            return null;
        }
    }

    public static int Tail(JsonElement request, CancellationToken stop)
    {
        var topic = request.GetProperty("topic").GetString()!;
        var count = request.GetProperty("count").GetInt32();
        var timeout = request.GetProperty("timeoutSeconds").GetInt32();
        var config = new ConsumerConfig
        {
            BootstrapServers = request.GetProperty("bootstrapServers").GetString(),
            GroupId = "tmqtool-tail-" + Guid.NewGuid().ToString("N"),
            AutoOffsetReset = request.GetProperty("fromBeginning").GetBoolean() ? AutoOffsetReset.Earliest : AutoOffsetReset.Latest,
            EnableAutoCommit = false,
            AllowAutoCreateTopics = false,
            ClientId = "tmqtool-tail",
        };
        // The last broker error, to say why nothing arrived: an unreachable broker and an idle topic look alike otherwise.
        string? brokerError = null;
        var assigned = false;
        using var consumer = new ConsumerBuilder<byte[]?, byte[]?>(config)
            .SetLogHandler(static (_, _) => { })
            .SetPartitionsAssignedHandler((_, _) => assigned = true)
            .SetErrorHandler((_, e) => brokerError = Unreachable(e) ?? brokerError)
            .Build();
        consumer.Subscribe(topic);
        var deadline = timeout > 0 ? DateTime.UtcNow.AddSeconds(timeout) : DateTime.MaxValue;
        // Waiting is what tail does, but not in silence: an unreachable broker or a missing topic is said once.
        var warnAt = DateTime.UtcNow.AddSeconds(5);
        var warnedBrokers = false;
        var warnedTopic = false;
        var received = 0;
        try
        {
            while ((count == 0 || received < count) && !stop.IsCancellationRequested)
            {
                if (!warnedBrokers && !assigned && brokerError is not null && DateTime.UtcNow >= warnAt)
                {
                    warnedBrokers = true;
                    Console.Error.WriteLine($"warning: the brokers at {config.BootstrapServers} are not reached: {brokerError}. Still trying; Ctrl+C stops.");
                }

                var left = deadline - DateTime.UtcNow;
                if (left <= TimeSpan.Zero)
                {
                    break;
                }

                ConsumeResult<byte[]?, byte[]?>? result;
                try
                {
                    result = consumer.Consume(left < TimeSpan.FromMilliseconds(250) ? left : TimeSpan.FromMilliseconds(250));
                }
                catch (ConsumeException e) when (!e.Error.IsFatal)
                {
                    // An unknown topic is reported until a producer creates it: keep waiting, and say so once.
                    if (!warnedTopic && e.Error.Code is ErrorCode.UnknownTopicOrPart or ErrorCode.Local_UnknownTopic)
                    {
                        warnedTopic = true;
                        Console.Error.WriteLine($"warning: topic {topic} does not exist at {config.BootstrapServers}; waiting for it to be created. Ctrl+C stops.");
                    }

                    continue;
                }

                if (result is null || result.IsPartitionEOF)
                {
                    continue;
                }

                received++;
                Print(result);
            }
        }
        finally
        {
            consumer.Close();
        }

        if (count > 0 && received < count && !stop.IsCancellationRequested)
        {
            var why = !assigned && brokerError is not null
                ? $" The brokers at {config.BootstrapServers} were not reached: {brokerError}."
                : "";
            Console.Error.WriteLine($"error: received {received} of {count} message(s) from {topic} within {timeout} s.{why}");
            return 1;
        }

        return 0;
    }

    /// <summary>
    /// Sends the messages a dead-letter topic holds now back to the topics they failed on, one at a
    /// time in order, and commits each partition's progress under the replay's group once the send
    /// is acknowledged: a stop or a failure loses nothing, and the next run resumes there.
    /// </summary>
    public static async Task<int> DlqReplay(JsonElement request, CancellationToken stop)
    {
        var topic = request.GetProperty("topic").GetString()!;
        var to = request.GetProperty("to").GetString();
        var group = request.GetProperty("group").GetString()!;
        var count = request.GetProperty("count").GetInt32();
        var dryRun = request.GetProperty("dryRun").GetBoolean();
        var timeout = TimeSpan.FromSeconds(request.GetProperty("timeoutSeconds").GetInt32());
        var servers = request.GetProperty("bootstrapServers").GetString();
        if (FindTopic(servers, topic, timeout, "tmqtool-replay") is not { } metadata)
        {
            return 1;
        }

        var config = new ConsumerConfig
        {
            BootstrapServers = servers,
            GroupId = group,
            EnableAutoCommit = false,
            EnableAutoOffsetStore = false,
            AutoOffsetReset = AutoOffsetReset.Earliest,
            EnablePartitionEof = true,
            ClientId = "tmqtool-replay",
        };
        using var consumer = new ConsumerBuilder<byte[]?, byte[]?>(config).SetLogHandler(static (_, _) => { }).Build();
        var partitions = metadata.Partitions.Select(p => new TopicPartition(topic, p.PartitionId)).OrderBy(p => p.Partition.Value).ToList();
        var committed = consumer.Committed(partitions, timeout).ToDictionary(c => c.Partition.Value, c => c.Offset.Value);

        // What the topic holds now: a message dead-lettered again during the replay waits for the next run.
        var pending = new Dictionary<int, (long From, long End)>();
        foreach (var partition in partitions)
        {
            var watermarks = consumer.QueryWatermarkOffsets(partition, timeout);
            var from = committed.TryGetValue(partition.Partition.Value, out var c) && c >= watermarks.Low.Value ? c : watermarks.Low.Value;
            if (from < watermarks.High.Value)
            {
                pending[partition.Partition.Value] = (from, watermarks.High.Value);
            }
        }

        var total = pending.Values.Sum(p => p.End - p.From);
        var limit = count > 0 ? Math.Min(count, total) : total;
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{topic}: {total} message(s) to replay{(count > 0 && count < total ? $", replaying the first {limit}" : "")} (group {group}){(dryRun ? "; dry run: nothing is sent or committed" : "")}."));
        if (limit == 0)
        {
            return 0;
        }

        using var producer = new ProducerBuilder<byte[]?, byte[]?>(new ProducerConfig
        {
            BootstrapServers = servers,
            Acks = Acks.All,
            EnableIdempotence = true,
            MessageTimeoutMs = (int)timeout.TotalMilliseconds,
            ClientId = "tmqtool-replay",
        }).SetLogHandler(static (_, _) => { }).Build();
        consumer.Assign(pending.Select(p => new TopicPartitionOffset(topic, p.Key, p.Value.From)));
        var replayed = 0L;
        var unroutable = 0;
        var targets = new SortedDictionary<string, long>(StringComparer.Ordinal);
        var lastRead = DateTime.UtcNow;
        try
        {
            while (replayed < limit && pending.Count > 0 && !stop.IsCancellationRequested)
            {
                var result = consumer.Consume(TimeSpan.FromMilliseconds(250));
                if (result is null)
                {
                    if (DateTime.UtcNow - lastRead > timeout)
                    {
                        Console.Error.WriteLine($"error: nothing was read from {topic} at {servers} for {timeout.TotalSeconds:0} s; {limit - replayed} message(s) were not replayed. Run again to resume.");
                        return 1;
                    }

                    continue;
                }

                lastRead = DateTime.UtcNow;
                var partition = result.Partition.Value;
                if (!pending.TryGetValue(partition, out var range) || result.Offset.Value >= range.End)
                {
                    // Reached the end this run replays (the EOF event, or a message that arrived since).
                    Done(partition);
                    continue;
                }

                var message = result.Message;
                var target = to ?? Header(message.Headers, "tmq-dlq-original-topic");
                var source = Position(topic, partition, result.Offset.Value);
                if (target is null || !IsTopicName(target))
                {
                    var why = target is null
                        ? "has no tmq-dlq-original-topic header (it was not dead-lettered by Tmq)"
                        : $"has the tmq-dlq-original-topic header \"{target}\", which is not a Kafka topic name";
                    if (dryRun)
                    {
                        // A preview goes on, to show every message that needs --to.
                        Console.WriteLine($"cannot replay {source}: it {why}");
                        unroutable++;
                        Done(partition);
                        continue;
                    }

                    Console.Error.WriteLine($"error: {source} {why}; pass --to to choose its topic. {replayed} message(s) were replayed before it; the next run starts at it.");
                    return 1;
                }

                var headers = new Headers();
                foreach (var header in message.Headers ?? new Headers())
                {
                    if (!header.Key.StartsWith("tmq-dlq-", StringComparison.Ordinal))
                    {
                        headers.Add(header.Key, header.GetValueBytes());
                    }
                }

                if (dryRun)
                {
                    Console.WriteLine($"would replay {source} -> {target} key={Show(message.Key)} value={Show(message.Value)}");
                }
                else
                {
                    // Not cancelled by a stop: a send under way is waited for (up to --timeout), then committed
                    // and counted, so that a stop never leaves a sent message to be replayed again.
                    DeliveryResult<byte[]?, byte[]?> sent;
                    try
                    {
                        sent = await producer.ProduceAsync(target, new Message<byte[]?, byte[]?> { Key = message.Key, Value = message.Value, Headers = headers, Timestamp = Timestamp.Default }, CancellationToken.None);
                    }
                    catch (ProduceException<byte[]?, byte[]?> e)
                    {
                        Console.Error.WriteLine($"error: {source} was not sent to {target}: {e.Error.Reason}. {replayed} message(s) were replayed before it; run again to resume there.");
                        return 1;
                    }

                    consumer.Commit([new TopicPartitionOffset(topic, partition, result.Offset.Value + 1)]);
                    Console.WriteLine($"replayed {source} -> {Position(sent.Topic, sent.Partition.Value, sent.Offset.Value)} key={Show(message.Key)}");
                }

                replayed++;
                targets[target] = targets.GetValueOrDefault(target) + 1;
                if (result.Offset.Value + 1 >= range.End)
                {
                    Done(partition);
                }
            }
        }
        finally
        {
            consumer.Close();
        }

        var summary = targets.Count == 0 ? "" : " to " + string.Join(", ", targets.Select(t => string.Create(CultureInfo.InvariantCulture, $"{t.Key} ({t.Value})")));
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{(dryRun ? "would replay" : "replayed")} {replayed} message(s) from {topic}{summary}."));

        // Offsets are not all messages (compaction, transaction markers): what is left decides, not the count.
        var unfinished = unroutable > 0 ? string.Create(CultureInfo.InvariantCulture, $"{unroutable} partition(s) hold a message that cannot be replayed without --to (listed above)")
            : pending.Count > 0 && replayed < limit ? string.Create(CultureInfo.InvariantCulture, $"stopped after {replayed} of {limit} message(s); run again to resume")
            : null;
        if (unfinished is null)
        {
            return 0;
        }

        Console.Error.WriteLine($"error: {unfinished}.");
        return 1;

        // A partition this run has no more to do on: it is no longer waited for, or fetched.
        void Done(int partition)
        {
            if (pending.Remove(partition))
            {
                consumer.Pause([new TopicPartition(topic, partition)]);
            }
        }
    }

    /// <summary>Why the brokers cannot be reached (refused, unresolvable, all down), or null for any other client error.</summary>
    private static string? Unreachable(Error error) =>
        error.Code is ErrorCode.Local_Transport or ErrorCode.Local_AllBrokersDown or ErrorCode.Local_Resolve ? error.Reason : null;

    /// <summary>Kafka's rule for a topic name (the tool checks --to with the same rule).</summary>
    private static bool IsTopicName(string name) =>
        name.Length is > 0 and <= 249 && name is not ("." or "..") && name.All(static c => char.IsAsciiLetterOrDigit(c) || c is '.' or '_' or '-');

    /// <summary>The topic's metadata, or null after saying that it was not found.</summary>
    /// <summary>
    /// pause, resume and set: reads the address's latest control message from the (compacted)
    /// control topic, changes it and writes the whole state back, or a tombstone for --clear. A missing
    /// control topic is created compacted, with one partition.
    /// </summary>
    public static async Task<int> Control(JsonElement request, CancellationToken stop)
    {
        var servers = request.GetProperty("bootstrapServers").GetString()!;
        var topic = request.GetProperty("topic").GetString()!;
        var service = request.GetProperty("service").GetString()!;
        var consumer = request.GetProperty("consumer").ValueKind == JsonValueKind.String ? request.GetProperty("consumer").GetString() : null;
        var clear = request.GetProperty("clear").GetBoolean();
        var sentBy = request.GetProperty("sentBy").GetString()!;
        var timeout = TimeSpan.FromSeconds(request.GetProperty("timeoutSeconds").GetInt32());
        var key = ControlMessage.KeyFor(service, consumer);

        using (var admin = new AdminClientBuilder(new AdminClientConfig { BootstrapServers = servers, ClientId = "tmqtool-control" }).SetLogHandler(static (_, _) => { }).Build())
        {
            // All topics' metadata: a request naming the topic can make a broker create it, uncompacted.
            var metadata = admin.GetMetadata(timeout);
            if (!metadata.Topics.Any(t => t.Topic == topic && !t.Error.IsError))
            {
                var replication = (short)Math.Min(3, metadata.Brokers.Count);
                try
                {
                    await admin.CreateTopicsAsync(
                        [new TopicSpecification { Name = topic, NumPartitions = 1, ReplicationFactor = replication, Configs = new() { ["cleanup.policy"] = "compact" } }],
                        new CreateTopicsOptions { RequestTimeout = timeout });
                    Console.Error.WriteLine($"note: created the control topic {topic} (compacted, 1 partition, replication factor {replication}).");
                }
                catch (CreateTopicsException e) when (e.Results.All(r => r.Error.Code == ErrorCode.TopicAlreadyExists))
                {
                    // Another sender created it first.
                }
                catch (KafkaException e)
                {
                    // Refused (no CreateTopics ACL, or a broker without the API, such as the dev broker):
                    // where the broker creates topics on first use, the message below creates it uncompacted.
                    Console.Error.WriteLine(
                        $"warning: the control topic {topic} does not exist and could not be created ({e.Error.Reason}). Sending anyway: a broker that creates topics on first use creates it without compaction, and then a restarted instance finds the settings only while the broker keeps them. Create it with cleanup.policy=compact to keep them.");
                }
            }
        }

        Dictionary<string, string> settings = [];
        if (!clear)
        {
            var latest = ReadLatest(servers, topic, key, timeout, stop);
            if (latest is { } bytes)
            {
                if (!ControlMessage.TryDecode(bytes, out var current, out var error))
                {
                    Console.Error.WriteLine($"error: the latest control message for {key} on {topic} cannot be read ({error}); nothing was sent. Start over with: tmqtool set --service {service}{(consumer is null ? "" : " --consumer " + consumer)} --bootstrap-servers {servers} --clear");
                    return 1;
                }

                settings = current!.Settings.ToDictionary(StringComparer.Ordinal);
            }

            foreach (var setting in request.GetProperty("settings").EnumerateObject())
            {
                if (setting.Value.ValueKind == JsonValueKind.Null)
                {
                    settings.Remove(setting.Name);
                }
                else
                {
                    settings[setting.Name] = setting.Value.GetString()!;
                }
            }
        }

        var value = settings.Count == 0 ? null : new ControlMessage(service, consumer, settings, DateTimeOffset.UtcNow, sentBy).Encode();
        var config = new ProducerConfig { BootstrapServers = servers, ClientId = "tmqtool-control", Acks = Acks.All, EnableIdempotence = true, MessageTimeoutMs = (int)timeout.TotalMilliseconds };
        using var producer = new ProducerBuilder<byte[], byte[]?>(config).SetLogHandler(static (_, _) => { }).Build();
        var delivered = await producer.ProduceAsync(topic, new Message<byte[], byte[]?> { Key = Encoding.UTF8.GetBytes(key), Value = value }, stop);
        var address = consumer is null ? $"{service} (every consumer)" : $"{service}, consumer {consumer}";
        var now = settings.Count == 0 ? "no settings (appsettings.json applies)" : string.Join(", ", settings.OrderBy(s => s.Key, StringComparer.Ordinal).Select(s => $"{s.Key}={s.Value}"));
        Console.WriteLine($"{address}: {now}; written to {topic}[{delivered.Partition.Value}]@{delivered.Offset.Value}. Running instances apply it within seconds, and instances that start later apply it too.");
        return 0;
    }

    /// <summary>status: the reports of the last --since seconds of the status topic, the latest per instance.</summary>
    public static int Status(JsonElement request, CancellationToken stop)
    {
        var servers = request.GetProperty("bootstrapServers").GetString()!;
        var topic = request.GetProperty("topic").GetString()!;
        var service = request.GetProperty("service").ValueKind == JsonValueKind.String ? request.GetProperty("service").GetString() : null;
        var since = TimeSpan.FromSeconds(request.GetProperty("sinceSeconds").GetInt32());
        var timeout = TimeSpan.FromSeconds(request.GetProperty("timeoutSeconds").GetInt32());
        var config = new ConsumerConfig { BootstrapServers = servers, GroupId = $"tmqtool-status-{Guid.NewGuid():N}", EnableAutoCommit = false, EnablePartitionEof = true, ClientId = "tmqtool-status" };
        using var consumer = new ConsumerBuilder<byte[]?, byte[]?>(config).SetLogHandler(static (_, _) => { }).Build();
        using var admin = new DependentAdminClientBuilder(consumer.Handle).Build();

        // All topics' metadata: a request naming the topic can make a broker create it.
        var metadata = admin.GetMetadata(timeout).Topics.FirstOrDefault(t => t.Topic == topic && !t.Error.IsError);
        if (metadata is null || metadata.Partitions.Count == 0)
        {
            Console.WriteLine($"No instance{(service is null ? "" : " of " + service)} has reported: the status topic {topic} does not exist at {servers} (each instance with control creates it with its first report).");
            return 0;
        }

        var from = DateTime.UtcNow - since;
        var reports = new List<InstanceStatus>();
        var unreadable = 0;
        ReadSince(consumer, [metadata], from, timeout, timeout + TimeSpan.FromSeconds(30), stop, result =>
        {
            if (result.Message.Value is { } value && InstanceStatus.TryDecode(value, out var status, out _))
            {
                if (status!.SentAt >= from)
                {
                    reports.Add(status);
                }
            }
            else
            {
                unreadable++;
            }
        });

        StatusTable.Write(Console.Out, reports, DateTimeOffset.UtcNow, service);
        if (unreadable > 0)
        {
            Console.Error.WriteLine($"note: {unreadable} message(s) on {topic} were not status reports and were skipped.");
        }

        return 0;
    }

    /// <summary>trace: the messages of the last --since seconds of each topic whose traceparent names the trace id, in time order.</summary>
    public static int Trace(JsonElement request, CancellationToken stop)
    {
        var servers = request.GetProperty("bootstrapServers").GetString()!;
        var traceId = request.GetProperty("traceId").GetString()!;
        var topics = request.GetProperty("topics").EnumerateArray().Select(t => t.GetString()!).ToList();
        var since = TimeSpan.FromSeconds(request.GetProperty("sinceSeconds").GetInt32());
        var timeout = TimeSpan.FromSeconds(request.GetProperty("timeoutSeconds").GetInt32());
        var config = new ConsumerConfig { BootstrapServers = servers, GroupId = $"tmqtool-trace-{Guid.NewGuid():N}", EnableAutoCommit = false, EnablePartitionEof = true, ClientId = "tmqtool-trace" };
        using var consumer = new ConsumerBuilder<byte[]?, byte[]?>(config).SetLogHandler(static (_, _) => { }).Build();
        using var admin = new DependentAdminClientBuilder(consumer.Handle).Build();

        // All topics' metadata: a request naming a topic can make a broker create it.
        var metadata = admin.GetMetadata(timeout).Topics.Where(t => !t.Error.IsError).ToDictionary(t => t.Topic);
        var from = DateTime.UtcNow - since;
        var found = new List<TopicMetadata>();
        foreach (var topic in topics)
        {
            if (metadata.TryGetValue(topic, out var known))
            {
                found.Add(known);
            }
            else
            {
                Console.Error.WriteLine($"note: topic {topic} does not exist at {servers}.");
            }
        }

        var hops = new List<ConsumeResult<byte[]?, byte[]?>>();
        var wanted = $"-{traceId}-";
        ReadSince(consumer, found, from, timeout, timeout + TimeSpan.FromMinutes(5), stop, result =>
        {
            if (result.Message.Timestamp.UtcDateTime >= from && Header(result.Message.Headers, "traceparent") is { } parent && parent.Contains(wanted, StringComparison.Ordinal))
            {
                hops.Add(result);
            }
        });

        foreach (var hop in hops.OrderBy(h => h.Message.Timestamp.UnixTimestampMs).ThenBy(h => h.Topic, StringComparer.Ordinal).ThenBy(h => h.Offset.Value))
        {
            var line = new StringBuilder();
            var at = hop.Message.Timestamp.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture);
            line.Append(CultureInfo.InvariantCulture, $"{at} {Position(hop.Topic, hop.Partition.Value, hop.Offset.Value)} key={Show(hop.Message.Key)}");
            if (Header(hop.Message.Headers, "tmq-dlq-original-topic") is { } original)
            {
                line.Append(CultureInfo.InvariantCulture,
                    $" dead letter of {original}[{Header(hop.Message.Headers, "tmq-dlq-original-partition")}]@{Header(hop.Message.Headers, "tmq-dlq-original-offset")} after {Header(hop.Message.Headers, "tmq-dlq-attempts")} attempt(s): {Header(hop.Message.Headers, "tmq-dlq-exception-type")}");
            }

            line.Append(CultureInfo.InvariantCulture, $" traceparent={Header(hop.Message.Headers, "traceparent")}");
            Console.WriteLine(line.ToString());
        }

        var window = $"in {string.Join(" and ", topics)}, the last {since.TotalSeconds:0} s";
        if (hops.Count == 0)
        {
            Console.Error.WriteLine($"error: no message of trace {traceId} {window}. Check the id, or read further back with --since.");
            return 1;
        }

        Console.WriteLine($"{hops.Count} message(s) of trace {traceId} {window}.");
        return 0;
    }

    /// <summary>
    /// console-feed: follows the status topic from --since seconds back, writing one JSON line per
    /// report of that window (<c>{"kind":"status","report":{...}}</c>); and, on a thread and a client
    /// of its own, every --refresh seconds the dead letters waiting in each dead-letter topic the
    /// reports name (<c>{"kind":"deadLetters","topics":{...},"unknown":{...}}</c>): what the topic holds
    /// past the replay group's committed offset, or why that cannot be told. A broker that cannot be
    /// reached is a line <c>{"kind":"error","message":...}</c>, and the feed goes on trying until stopped.
    /// </summary>
    public static int ConsoleFeed(JsonElement request, CancellationToken stop)
    {
        var servers = request.GetProperty("bootstrapServers").GetString()!;
        var topic = request.GetProperty("topic").GetString()!;
        var since = TimeSpan.FromSeconds(request.GetProperty("sinceSeconds").GetInt32());
        var timeout = TimeSpan.FromSeconds(request.GetProperty("timeoutSeconds").GetInt32());
        var every = TimeSpan.FromSeconds(request.GetProperty("refreshSeconds").GetInt32());
        var deadLetterTopics = new SortedSet<string>(StringComparer.Ordinal);
        var counting = Task.Factory.StartNew(() => CountDeadLetters(servers, deadLetterTopics, timeout, every, stop), TaskCreationOptions.LongRunning);
        var config = new ConsumerConfig { BootstrapServers = servers, GroupId = $"tmqtool-console-{Guid.NewGuid():N}", EnableAutoCommit = false, ClientId = "tmqtool-console" };
        using var consumer = new ConsumerBuilder<byte[]?, byte[]?>(config).SetLogHandler(static (_, _) => { }).Build();
        using var admin = new DependentAdminClientBuilder(consumer.Handle).Build();
        var assigned = new HashSet<int>();
        var next = DateTime.MinValue;
        var lastError = "";
        while (!stop.IsCancellationRequested)
        {
            if (DateTime.UtcNow >= next)
            {
                next = DateTime.UtcNow + every;
                try
                {
                    // All topics' metadata: a request naming a topic can make a broker create it.
                    if (admin.GetMetadata(timeout).Topics.FirstOrDefault(t => t.Topic == topic && !t.Error.IsError) is { } status)
                    {
                        var fresh = status.Partitions.Where(p => !assigned.Contains(p.PartitionId)).Select(p => new TopicPartitionTimestamp(topic, p.PartitionId, new Timestamp(DateTime.UtcNow - since, TimestampType.CreateTime))).ToList();
                        if (fresh.Count > 0)
                        {
                            var starts = new List<TopicPartitionOffset>();
                            foreach (var start in consumer.OffsetsForTimes(fresh, timeout))
                            {
                                // No offset: nothing that recent, or a broker that cannot look offsets up by
                                // time (the dev broker): the last 10,000 reports, of which the old ones are skipped below.
                                var marks = consumer.QueryWatermarkOffsets(start.TopicPartition, timeout);
                                starts.Add(new TopicPartitionOffset(start.TopicPartition, start.Offset.Value >= 0 ? start.Offset : new Offset(Math.Max(marks.Low.Value, marks.High.Value - 10_000))));
                                assigned.Add(start.Partition.Value);
                            }

                            consumer.IncrementalAssign(starts);
                        }
                    }

                    lastError = "";
                }
                catch (KafkaException e)
                {
                    if (e.Message != lastError)
                    {
                        lastError = e.Message;
                        Emit(new JsonObject { ["kind"] = "error", ["message"] = $"{e.Message} (bootstrap servers {servers})" });
                    }
                }
            }

            ConsumeResult<byte[]?, byte[]?>? result;
            try
            {
                result = consumer.Consume(TimeSpan.FromMilliseconds(200));
            }
            catch (ConsumeException e) when (!e.Error.IsFatal)
            {
                continue;
            }

            if (result?.Message?.Value is { } value && InstanceStatus.TryDecode(value, out var report, out _) && report!.SentAt >= DateTimeOffset.UtcNow - since)
            {
                lock (deadLetterTopics)
                {
                    foreach (var reported in report.Consumers)
                    {
                        if (reported.DeadLetterTopic is { Length: > 0 } deadLetters)
                        {
                            deadLetterTopics.Add(deadLetters);
                        }
                    }
                }

                Emit(new JsonObject { ["kind"] = "status", ["report"] = JsonNode.Parse(value) });
            }
        }

        counting.Wait(TimeSpan.FromSeconds(10));
        return 0;
    }

    private static void Emit(JsonObject line) => Console.Out.WriteLine(line.ToJsonString());

    /// <summary>console-feed's count of the dead letters waiting, on a client of its own, so that a slow broker answer never holds up the reports.</summary>
    private static void CountDeadLetters(string servers, SortedSet<string> deadLetterTopics, TimeSpan timeout, TimeSpan every, CancellationToken stop)
    {
        var config = new ConsumerConfig { BootstrapServers = servers, GroupId = $"tmqtool-console-{Guid.NewGuid():N}", EnableAutoCommit = false, ClientId = "tmqtool-console" };
        using var consumer = new ConsumerBuilder<byte[]?, byte[]?>(config).SetLogHandler(static (_, _) => { }).Build();
        using var admin = new DependentAdminClientBuilder(consumer.Handle).Build();
        while (!stop.WaitHandle.WaitOne(every))
        {
            List<string> wanted;
            lock (deadLetterTopics)
            {
                wanted = [.. deadLetterTopics];
            }

            if (wanted.Count == 0)
            {
                continue;
            }

            var waiting = new JsonObject();
            var unknown = new JsonObject();
            try
            {
                var topics = admin.GetMetadata(timeout).Topics.ToDictionary(t => t.Topic);
                foreach (var deadLetters in wanted)
                {
                    if (!topics.TryGetValue(deadLetters, out var known))
                    {
                        // Not created yet: the first dead letter creates it.
                        waiting[deadLetters] = 0;
                    }
                    else if (known.Error.IsError)
                    {
                        unknown[deadLetters] = $"the topic cannot be described ({known.Error.Reason})";
                    }
                    else
                    {
                        try
                        {
                            waiting[deadLetters] = Waiting(consumer, admin, known, timeout);
                        }
                        catch (KafkaException e)
                        {
                            unknown[deadLetters] = e.Message;
                        }
                    }
                }
            }
            catch (KafkaException e)
            {
                foreach (var deadLetters in wanted)
                {
                    unknown[deadLetters] = e.Message;
                }
            }

            Emit(new JsonObject { ["kind"] = "deadLetters", ["topics"] = waiting, ["unknown"] = unknown });
        }
    }

    /// <summary>
    /// The messages of <paramref name="topic"/> that <c>dlq replay</c> has not replayed yet: past its
    /// group's committed offset (a group that never committed answers none: all it holds).
    /// </summary>
    private static long Waiting(IConsumer<byte[]?, byte[]?> consumer, IAdminClient admin, TopicMetadata topic, TimeSpan timeout)
    {
        var partitions = topic.Partitions.Select(p => new TopicPartition(topic.Topic, p.PartitionId)).ToList();
        var answer = admin.ListConsumerGroupOffsetsAsync([new ConsumerGroupTopicPartitions("tmqtool-replay." + topic.Topic, partitions)], new ListConsumerGroupOffsetsOptions { RequestTimeout = timeout }).GetAwaiter().GetResult();
        var committed = new Dictionary<int, long>();
        foreach (var offset in answer.SelectMany(g => g.Partitions))
        {
            if (offset.Error.IsError)
            {
                throw new KafkaException(offset.Error);
            }

            if (offset.Offset.Value >= 0)
            {
                committed[offset.Partition.Value] = offset.Offset.Value;
            }
        }

        long waiting = 0;
        foreach (var partition in partitions)
        {
            var marks = consumer.QueryWatermarkOffsets(partition, timeout);
            waiting += Math.Max(0, marks.High.Value - Math.Max(marks.Low.Value, committed.GetValueOrDefault(partition.Partition.Value)));
        }

        return waiting;
    }

    /// <summary>
    /// Reads every partition of <paramref name="topics"/> from the first offset written at or after
    /// <paramref name="from"/> to its end, handing each message to <paramref name="onMessage"/>. A
    /// broker that cannot look offsets up by time (the dev broker) answers none: then the last
    /// 100,000 messages of the partition are read, and the caller skips those older than the window.
    /// </summary>
    private static void ReadSince(IConsumer<byte[]?, byte[]?> consumer, IEnumerable<TopicMetadata> topics, DateTime from, TimeSpan timeout, TimeSpan readFor, CancellationToken stop, Action<ConsumeResult<byte[]?, byte[]?>> onMessage)
    {
        var open = new HashSet<(string, int)>();
        var assign = new List<TopicPartitionOffset>();
        foreach (var topic in topics)
        {
            var starts = consumer.OffsetsForTimes(topic.Partitions.Select(p => new TopicPartitionTimestamp(topic.Topic, p.PartitionId, new Timestamp(from, TimestampType.CreateTime))), timeout);
            foreach (var start in starts)
            {
                var marks = consumer.QueryWatermarkOffsets(start.TopicPartition, timeout);
                var offset = start.Offset.Value >= 0 ? start.Offset : new Offset(Math.Max(marks.Low.Value, marks.High.Value - 100_000));
                if (offset.Value < marks.High.Value)
                {
                    open.Add((topic.Topic, start.Partition.Value));
                    assign.Add(new TopicPartitionOffset(start.TopicPartition, offset));
                }
            }
        }

        consumer.Assign(assign);
        var deadline = DateTime.UtcNow + readFor;
        while (open.Count > 0)
        {
            if (DateTime.UtcNow > deadline || stop.IsCancellationRequested)
            {
                throw new TimeoutException("the topics were not read to their end in time; try a shorter --since.");
            }

            var result = consumer.Consume(TimeSpan.FromMilliseconds(200));
            if (result is null)
            {
                continue;
            }

            if (result.IsPartitionEOF)
            {
                open.Remove((result.Topic, result.Partition.Value));
            }
            else
            {
                onMessage(result);
            }
        }
    }

    /// <summary>The value of the last message with <paramref name="key"/> on the topic (null: none, or a tombstone).</summary>
    private static byte[]? ReadLatest(string servers, string topic, string key, TimeSpan timeout, CancellationToken stop)
    {
        var config = new ConsumerConfig { BootstrapServers = servers, GroupId = $"tmqtool-control-{Guid.NewGuid():N}", EnableAutoCommit = false, EnablePartitionEof = true, ClientId = "tmqtool-control" };
        using var consumer = new ConsumerBuilder<byte[]?, byte[]?>(config).SetLogHandler(static (_, _) => { }).Build();
        using var admin = new DependentAdminClientBuilder(consumer.Handle).Build();
        var partitions = admin.GetMetadata(timeout).Topics.FirstOrDefault(t => t.Topic == topic)?.Partitions.Select(p => new TopicPartition(topic, p.PartitionId)).ToList() ?? [];
        var open = new HashSet<int>();
        var start = new List<TopicPartitionOffset>();
        foreach (var partition in partitions)
        {
            var marks = consumer.QueryWatermarkOffsets(partition, timeout);
            if (marks.High.Value > marks.Low.Value)
            {
                open.Add(partition.Partition.Value);
                start.Add(new TopicPartitionOffset(partition, marks.Low));
            }
        }

        byte[]? latest = null;
        var wanted = Encoding.UTF8.GetBytes(key);
        consumer.Assign(start);
        var deadline = DateTime.UtcNow + timeout;
        while (open.Count > 0)
        {
            if (DateTime.UtcNow > deadline || stop.IsCancellationRequested)
            {
                throw new TimeoutException($"the control topic {topic} was not read to its end within {timeout.TotalSeconds:0} s; nothing was sent.");
            }

            var result = consumer.Consume(TimeSpan.FromMilliseconds(200));
            if (result is null)
            {
                continue;
            }

            if (result.IsPartitionEOF)
            {
                open.Remove(result.Partition.Value);
                continue;
            }

            if (result.Message.Key is { } k && k.AsSpan().SequenceEqual(wanted))
            {
                latest = result.Message.Value;
            }
        }

        return latest;
    }

    private static TopicMetadata? FindTopic(string? servers, string topic, TimeSpan timeout, string clientId)
    {
        using var admin = new AdminClientBuilder(new AdminClientConfig { BootstrapServers = servers, ClientId = clientId }).SetLogHandler(static (_, _) => { }).Build();
        // All topics' metadata: a request naming the topic can make a broker (the dev broker does) create it.
        var metadata = admin.GetMetadata(timeout).Topics.SingleOrDefault(t => t.Topic == topic);
        if (metadata is null || metadata.Error.IsError || metadata.Partitions.Count == 0)
        {
            Console.Error.WriteLine($"error: topic {topic} was not found at {servers}{(metadata is { Error.IsError: true } ? ": " + metadata.Error.Reason : "")}.");
            return null;
        }

        return metadata;
    }

    private static string? Header(Headers? headers, string name) =>
        headers is not null && headers.TryGetLastBytes(name, out var bytes) ? Encoding.UTF8.GetString(bytes) : null;

    public static int Lag(JsonElement request)
    {
        var topic = request.GetProperty("topic").GetString()!;
        var group = request.GetProperty("group").GetString()!;
        var timeout = TimeSpan.FromSeconds(request.GetProperty("timeoutSeconds").GetInt32());
        var servers = request.GetProperty("bootstrapServers").GetString();
        if (FindTopic(servers, topic, timeout, "tmqtool-lag") is not { } metadata)
        {
            return 1;
        }

        // A consumer that never subscribes only reads the group's offsets: it does not join the group.
        var config = new ConsumerConfig { BootstrapServers = servers, GroupId = group, EnableAutoCommit = false, ClientId = "tmqtool-lag" };
        using var consumer = new ConsumerBuilder<Ignore, Ignore>(config).SetLogHandler(static (_, _) => { }).Build();
        var partitions = metadata.Partitions.Select(p => new TopicPartition(topic, p.PartitionId)).OrderBy(p => p.Partition.Value).ToList();
        var committed = consumer.Committed(partitions, timeout).ToDictionary(c => c.Partition.Value, c => c.Offset.Value);
        long totalCommitted = 0, totalLag = 0;
        var anyCommitted = false;
        Console.WriteLine($"{"partition",9} {"committed",12} {"end",12} {"lag",12}");
        foreach (var partition in partitions)
        {
            var watermarks = consumer.QueryWatermarkOffsets(partition, timeout);
            var end = watermarks.High.Value;
            var position = committed.TryGetValue(partition.Partition.Value, out var c) && c >= 0 ? c : (long?)null;

            // Without a commit a Tmq consumer starts from the oldest message still kept (its auto.offset.reset is earliest).
            var lag = Math.Max(0, end - (position ?? watermarks.Low.Value));
            anyCommitted |= position is not null;
            totalCommitted += position ?? 0;
            totalLag += lag;
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{partition.Partition.Value,9} {(position is null ? "-" : position.Value.ToString(CultureInfo.InvariantCulture)),12} {end,12} {lag,12}"));
        }

        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"group={group} topic={topic} committed={(anyCommitted ? totalCommitted.ToString(CultureInfo.InvariantCulture) : "none")} lag={totalLag}"));
        if (!anyCommitted)
        {
            Console.Error.WriteLine(
                $"note: group {group} has committed nothing on {topic}: it has not consumed it yet, or --group is misspelt. The lag counts from the oldest message kept, where a Tmq consumer of a new group starts.");
        }

        return 0;
    }

    private static void Print(ConsumeResult<byte[]?, byte[]?> result)
    {
        var message = result.Message;
        var timestamp = message.Timestamp.Type == TimestampType.NotAvailable
            ? "none"
            : message.Timestamp.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture);
        var output = new StringBuilder();
        output.Append(CultureInfo.InvariantCulture, $"{Position(result.Topic, result.Partition.Value, result.Offset.Value)} key={Show(message.Key)} timestamp={timestamp}\n");
        foreach (var header in message.Headers ?? [])
        {
            output.Append(CultureInfo.InvariantCulture, $"  header {Show(header.Key)}={Show(header.GetValueBytes())}\n");
        }

        output.Append(CultureInfo.InvariantCulture, $"  value={Show(message.Value)}");
        Console.WriteLine(output.ToString());
    }

    private static string Position(string topic, int partition, long offset) =>
        string.Create(CultureInfo.InvariantCulture, $"{topic}[{partition}]@{offset}");

    /// <summary>A key, value or header text in which "{n}" becomes the message number, so that --count can send distinct messages; a text without it is encoded once.</summary>
    private sealed class Numbered(string text)
    {
        private readonly byte[]? _fixed = text.Contains("{n}", StringComparison.Ordinal) ? null : Encoding.UTF8.GetBytes(text);

        public byte[] Bytes(string number) => _fixed ?? Encoding.UTF8.GetBytes(text.Replace("{n}", number, StringComparison.Ordinal));
    }

    /// <summary>UTF-8 text on one line: control characters escaped, "(null)" for a missing key or value.</summary>
    private static string Show(byte[]? bytes) => bytes is null ? "(null)" : Show(Encoding.UTF8.GetString(bytes));

    private static string Show(string text)
    {
        var shown = new StringBuilder(text.Length);
        foreach (var c in text)
        {
            _ = c switch
            {
                '\n' => shown.Append("\\n"),
                '\r' => shown.Append("\\r"),
                '\t' => shown.Append("\\t"),
                '\\' => shown.Append("\\\\"),
                _ when char.IsControl(c) => shown.Append(CultureInfo.InvariantCulture, $"\\u{(int)c:x4}"),
                _ => shown.Append(c),
            };
        }

        return shown.ToString();
    }

    /// <summary>Forwards connections from a fixed local port to the first broker: clients bootstrap there and then follow the broker's metadata.</summary>
    private static async Task Forward(TcpListener listener, string target, CancellationToken stop)
    {
        var colon = target.LastIndexOf(':');
        var host = target[..colon];
        var port = int.Parse(target[(colon + 1)..], CultureInfo.InvariantCulture);
        while (!stop.IsCancellationRequested)
        {
            TcpClient client;
            try
            {
                client = await listener.AcceptTcpClientAsync(stop);
            }
            catch (Exception e) when (e is OperationCanceledException or SocketException or ObjectDisposedException)
            {
                return;
            }

            _ = Task.Run(async () =>
            {
                using (client)
                using (var upstream = new TcpClient())
                {
                    try
                    {
                        await upstream.ConnectAsync(host, port, stop);
                        var a = client.GetStream();
                        var b = upstream.GetStream();
                        await Task.WhenAny(a.CopyToAsync(b, stop), b.CopyToAsync(a, stop));
                    }
                    catch (Exception e) when (e is OperationCanceledException or IOException or SocketException)
                    {
                    }
                }
            }, CancellationToken.None);
        }
    }
}
