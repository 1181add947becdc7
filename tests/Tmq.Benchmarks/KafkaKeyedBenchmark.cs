namespace Tmq.Benchmarks;

/// <summary>
/// <c>kafka-keyed</c>: a handler that awaits 5 ms (Task.Delay), 10,000 keys over 16 partitions.
/// The Tmq consumer in Key mode with Concurrency 256 against the sequential plain loop (Consume,
/// handle, StoreOffset). The plain loop manages ~180 msg/s, so it reads only the first
/// <c>--plain-messages</c> of the topic. Target: Tmq at least 100x.
/// </summary>
/// <remarks>
/// Options: <c>--messages</c> (100,000 for Tmq), <c>--plain-messages</c> (1,000), <c>--partitions</c>
/// (16), <c>--concurrency</c> (256), <c>--kafka key=value</c> (overrides for the Tmq consumer).
/// The Tmq consumer's buffer (MaxBufferedMessages 10,000) fills here, so this scenario also
/// exercises backpressure: the output counts its pauses.
/// </remarks>
internal static class KafkaKeyedBenchmark
{
    private static readonly TimeSpan HandlerDelay = TimeSpan.FromMilliseconds(5);

    public static async Task<int> RunAsync(string[] args)
    {
        var messages = Args.Int(args, "--messages", 100_000);
        var plainMessages = Args.Int(args, "--plain-messages", 1_000);
        var partitions = Args.Int(args, "--partitions", 16);
        var concurrency = Args.Int(args, "--concurrency", 256);
        var kafka = KafkaBench.KafkaOverrides(args);
        var timeout = TimeSpan.FromMinutes(2);
        var keys = KafkaBench.MakeKeys();
        var tmqSettings = new Dictionary<string, string?>
        {
            ["Ordering"] = "Key",
            ["Concurrency"] = concurrency.ToString(System.Globalization.CultureInfo.InvariantCulture),
        };

        KafkaBench.PrintLoad("kafka-keyed.start");
        using var broker = KafkaBrokerHandle.Start();
        Console.WriteLine($"kafka-keyed.tmq_kafka_overrides: {KafkaBench.Describe(kafka)}");
        KafkaBench.ProduceChecked(broker, "keyed", partitions, messages, keys, "kafka-keyed");

        var plain = await KafkaBench.RunPlainAsync(broker.BootstrapServers, "keyed", "keyed-plain", plainMessages, HandlerDelay, timeout);
        KafkaBench.Print("kafka-keyed.plain.run", plain);
        var tmq = await KafkaBench.RunTmqAsync(broker.BootstrapServers, "keyed", "keyed-tmq", messages, HandlerDelay, tmqSettings, kafka, timeout);
        KafkaBench.Print("kafka-keyed.tmq.run", tmq);

        Console.WriteLine("kafka-keyed.measured: from subscription (consumer start) to the last message handled; fresh group per run");
        Console.WriteLine($"kafka-keyed.handler: await Task.Delay({HandlerDelay.TotalMilliseconds} ms); {KafkaBench.KeyCount} keys, {partitions} partitions");
        Console.WriteLine($"kafka-keyed.plain.throughput: {plain.Rate:F0} msg/s (sequential, {plainMessages} msgs)");
        Console.WriteLine($"kafka-keyed.tmq.throughput: {tmq.Rate:F0} msg/s (Key mode, Concurrency {concurrency}, {messages} msgs)");
        Console.WriteLine($"ratio.tmq_vs_plain: {tmq.Rate / plain.Rate:F1} x (target >= 100)");
        KafkaBench.PrintLoad("kafka-keyed.end");
        return 0;
    }
}
