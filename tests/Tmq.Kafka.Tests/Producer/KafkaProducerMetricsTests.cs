using System.Diagnostics.Metrics;
using Tmq.Kafka.Tests.Fakes;
using Tmq.Telemetry;

namespace Tmq.Kafka.Tests.Producer;

public sealed class KafkaProducerMetricsTests
{
    [Fact]
    public async Task SendAsync_Acknowledged_CountsSentMessages()
    {
        using var broker = EmbeddedKafkaBroker.Start();
        broker.CreateTopic("metered-sends", 1);
        using var metrics = new TmqMetrics();
        long sent = 0;
        using var listener = new MeterListener();
        listener.InstrumentPublished = (instrument, l) =>
        {
            if (ReferenceEquals(instrument, metrics.Sent))
            {
                l.EnableMeasurementEvents(instrument);
            }
        };
        listener.SetMeasurementEventCallback<long>((_, value, _, _) => Interlocked.Add(ref sent, value));
        listener.Start();

        using (var producer = new KafkaProducer(new KafkaProducerOptions { BootstrapServers = broker.BootstrapServers }, metrics: metrics))
        {
            for (var i = 0; i < 3; i++)
            {
                await producer.SendAsync("metered-sends", "k"u8.ToArray(), "v"u8.ToArray()).Within(TimeSpan.FromSeconds(30));
            }
        }

        Assert.Equal(3, Interlocked.Read(ref sent));
    }
}
