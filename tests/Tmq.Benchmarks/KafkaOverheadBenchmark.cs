namespace Tmq.Benchmarks;

/// <summary>
/// <c>kafka-overhead</c>: 1,000,000 x 100 B messages (10,000 keys) over 32 partitions, no-op
/// handler. The Tmq consumer (its defaults, Key ordering) against a plain Confluent.Kafka loop
/// (Consume + StoreOffset, librdkafka defaults), each in a fresh group on the same topic, same
/// broker, same process, alternated (plain, Tmq, plain, Tmq, ...; <c>--rounds</c>, default 3) and
/// compared by median. Target: Tmq at least 1.0x the plain loop.
/// </summary>
/// <remarks>
/// Options: <c>--messages</c> (1,000,000), <c>--partitions</c> (32: about 3.9 MB each, under the
/// mock's ~5 MiB retention; checked after producing), <c>--rounds</c> (3), <c>--kafka key=value</c>
/// (librdkafka overrides for the Tmq consumer, as <c>Tmq:Consumers:main:Kafka:key</c>),
/// <c>--plain-kafka key=value</c> (the same for the plain loop; investigation only). Both consumers
/// first drain a 50,000-message warm-up topic (JIT, connections), not reported. Environment
/// <c>TMQ_BENCH_LOG=1</c> echoes the Tmq consumer's logs (debug included) to stderr.
/// </remarks>
internal static class KafkaOverheadBenchmark
{
    public static async Task<int> RunAsync(string[] args)
    {
        var messages = Args.Int(args, "--messages", 1_000_000);
        var partitions = Args.Int(args, "--partitions", 32);
        var rounds = Args.Int(args, "--rounds", 3);
        var kafka = KafkaBench.KafkaOverrides(args);
        var plainKafka = KafkaBench.KafkaOverrides(args, "--plain-kafka");
        var timeout = TimeSpan.FromMinutes(3);
        var keys = KafkaBench.MakeKeys();
        var tmqSettings = new Dictionary<string, string?> { ["Ordering"] = "Key" };

        KafkaBench.PrintLoad("kafka-overhead.start");
        using var broker = KafkaBrokerHandle.Start();
        Console.WriteLine($"kafka-overhead.broker: librdkafka mock, {KafkaBench.Brokers} brokers, child process");
        Console.WriteLine($"kafka-overhead.tmq_kafka_overrides: {KafkaBench.Describe(kafka)}");
        if (plainKafka.Count > 0)
        {
            Console.WriteLine($"kafka-overhead.plain_kafka_overrides: {KafkaBench.Describe(plainKafka)} (not the baseline: librdkafka defaults are)");
        }

        // Warm up both paths (JIT, pools, connections) on a small topic; not reported.
        KafkaBench.ProduceChecked(broker, "warmup", 8, 50_000, keys, "kafka-overhead.warmup");
        await KafkaBench.RunPlainAsync(broker.BootstrapServers, "warmup", "warmup-plain", 50_000, TimeSpan.Zero, timeout, plainKafka);
        await KafkaBench.RunTmqAsync(broker.BootstrapServers, "warmup", "warmup-tmq", 50_000, TimeSpan.Zero, tmqSettings, kafka, timeout);

        KafkaBench.ProduceChecked(broker, "overhead", partitions, messages, keys, "kafka-overhead");
        var plain = new List<KafkaBench.RunResult>();
        var tmq = new List<KafkaBench.RunResult>();
        for (var round = 1; round <= rounds; round++)
        {
            var brokerCpu = broker.CpuSeconds;
            var p = await KafkaBench.RunPlainAsync(broker.BootstrapServers, "overhead", $"plain-{round}", messages, TimeSpan.Zero, timeout, plainKafka);
            KafkaBench.Print($"kafka-overhead.plain.run{round}", p, broker.CpuSeconds - brokerCpu);
            plain.Add(p);
            brokerCpu = broker.CpuSeconds;
            var t = await KafkaBench.RunTmqAsync(broker.BootstrapServers, "overhead", $"tmq-{round}", messages, TimeSpan.Zero, tmqSettings, kafka, timeout);
            KafkaBench.Print($"kafka-overhead.tmq.run{round}", t, broker.CpuSeconds - brokerCpu);
            tmq.Add(t);
        }

        var plainBest = plain.Max(static r => r.Rate);
        var tmqBest = tmq.Max(static r => r.Rate);
        var plainMedian = KafkaBench.Median(plain.Select(static r => r.Rate));
        var tmqMedian = KafkaBench.Median(tmq.Select(static r => r.Rate));
        Console.WriteLine("kafka-overhead.measured: from subscription (consumer start) to the last message handled; fresh group per run");
        Console.WriteLine($"kafka-overhead.messages: {messages} messages ({KafkaBench.ValueSize} B values, {KafkaBench.KeyCount} keys, {partitions} partitions)");
        Console.WriteLine($"kafka-overhead.plain.throughput: {plainMedian:F0} msg/s (median of {rounds}; best {plainBest:F0})");
        Console.WriteLine($"kafka-overhead.tmq.throughput: {tmqMedian:F0} msg/s (median of {rounds}; best {tmqBest:F0})");
        Console.WriteLine($"ratio.tmq_vs_plain: {tmqMedian / plainMedian:F2} x (best vs best {tmqBest / plainBest:F2} x; target >= 1.0)");

        // CPU per message is steadier than wall time when other work shares the cores.
        var plainCpu = KafkaBench.Median(plain.Select(static r => r.CpuSeconds)) / messages * 1e6;
        var tmqCpu = KafkaBench.Median(tmq.Select(static r => r.CpuSeconds)) / messages * 1e6;
        Console.WriteLine($"kafka-overhead.plain.cpu_per_message: {plainCpu:F2} us (median; whole process incl. librdkafka threads)");
        Console.WriteLine($"kafka-overhead.tmq.cpu_per_message: {tmqCpu:F2} us (median; whole process incl. librdkafka threads)");
        KafkaBench.PrintLoad("kafka-overhead.end");
        return 0;
    }
}
