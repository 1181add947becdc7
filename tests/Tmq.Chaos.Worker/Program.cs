// The reliability tests' worker: built like a generated service (a host, one consumer "main",
// settings from the environment as Tmq__...), with a handler that appends every message it handles
// to a file. CHAOS_BROKER (kafka or nsq) picks the transport, CHAOS_RECORD the file.
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
builder.Services.AddSingleton(new HandledRecord(record));
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
return 0;
