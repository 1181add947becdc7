// The reliability tests' worker: built like a generated service (a host, one consumer "main",
// settings from the environment as Tmq__...), with a handler that appends every message it handles
// to a file. CHAOS_BROKER (kafka or nsq) picks the transport, CHAOS_RECORD the file, CHAOS_DELAY_MS
// how long each handling takes, CHAOS_FAIL_EVERY which messages fail for good (see FailingMessages).
using Tmq.Chaos.Worker;
using Tmq.Kafka;
using Tmq.Nsq;

var broker = Environment.GetEnvironmentVariable("CHAOS_BROKER");
var record = Environment.GetEnvironmentVariable("CHAOS_RECORD");
if (broker is not ("kafka" or "nsq") || string.IsNullOrEmpty(record))
{
    Console.Error.WriteLine("CHAOS_BROKER (kafka or nsq) and CHAOS_RECORD (a file) must be set.");
    return 2;
}

var builder = Host.CreateApplicationBuilder(args);
var delay = int.TryParse(Environment.GetEnvironmentVariable("CHAOS_DELAY_MS"), out var ms) ? TimeSpan.FromMilliseconds(ms) : TimeSpan.Zero;
builder.Services.AddSingleton(new HandledRecord(record, delay));
builder.Services.AddSingleton(FailingMessages.FromEnvironment());
if (broker == "kafka")
{
    builder.Services.AddTmqKafkaConsumer<RecordingHandler>("main");
}
else
{
    builder.Services.AddTmqNsqConsumer<RecordingHandler>("main");
}

using var host = builder.Build();
await host.RunAsync();

// A consumer that stopped the host on a fatal error set 1 here, as a generated service exits with it.
return Environment.ExitCode;
