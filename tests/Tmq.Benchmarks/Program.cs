using Tmq.Benchmarks;

// Benchmarks print "name: value unit" lines; ratios compare against a baseline run in the same process.
// Usage: dotnet run -c Release --project tests/Tmq.Benchmarks -- <scenario> [options]
var scenario = args.Length > 0 ? args[0] : "help";
var rest = args.Skip(1).ToArray();
return scenario switch
{
    "engine" => await EngineBenchmark.RunAsync(rest),
    "kafka-overhead" => await KafkaOverheadBenchmark.RunAsync(rest),
    "kafka-keyed" => await KafkaKeyedBenchmark.RunAsync(rest),
    "kafka-memory" => await KafkaMemoryBenchmark.RunAsync(rest),
    "kafka-broker" => KafkaBrokerHandle.RunChild(rest),
    "kafka-drain" => await KafkaMemoryBenchmark.RunDrainChildAsync(rest),
    "nsq" => await NsqBenchmark.RunAsync(rest),
    "wolverine-codegen" => await WolverineConsumer.WriteCodeAsync(),
    "nsq-drain" => await NsqMemoryBenchmark.RunDrainChildAsync(rest),
    _ => Usage(),
};

static int Usage()
{
    Console.Error.WriteLine("usage: Tmq.Benchmarks <scenario> [--messages N] [--kafka key=value]... [--nsqd HOST:PORT] [--nsqd-http URL] [--go-bench DIR] [--runfor 10s] [--only publish]");
    Console.Error.WriteLine("scenarios:");
    Console.Error.WriteLine("  engine          in-memory transport, no-op handler, Key mode, 10,000 keys, 16 partitions");
    Console.Error.WriteLine("  kafka-overhead  no-op handler: Tmq (in a generated service's host) vs a plain Confluent.Kafka loop, WolverineFx.Kafka and kcat;");
    Console.Error.WriteLine("                  one row by default (both batch shapes, 32 partitions, 100 B), --matrix full for 18 cells; --scale 0.02 for a smoke run");
    Console.Error.WriteLine("  kafka-keyed     handler awaiting 5 ms, 10,000 keys, Concurrency 256: Tmq vs the sequential plain loop");
    Console.Error.WriteLine("  kafka-memory    peak working set draining a 200k vs an 800k backlog, MaxBufferedMessages 10,000");
    Console.Error.WriteLine("  nsq             200 B messages: NSQ producer (MPUB, PUB) and consumer (None, Key; MaxInFlight 2,500) vs bench_writer/bench_reader, and peak memory draining 1M vs 250k");
    return 2;
}
