using System.Collections.Concurrent;
using System.Text;
using Microsoft.Extensions.DependencyInjection;
using Tmq.Control;
using Tmq.Kafka.Tests.Consumer;
using Tmq.Kafka.Tests.Fakes;

namespace Tmq.Kafka.Tests.Control;

/// <summary>Every instance reports what it consumes and how it is doing to the status topic, and says when it stops.</summary>
public sealed class KafkaStatusTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(60);

    [Fact]
    public async Task Status_RunningInstance_ReportsItsConsumerOutcomesOwnerAndControlThenStopping()
    {
        using var broker = EmbeddedKafkaBroker.Start();
        broker.CreateTopic("orders", 3);
        broker.CreateTopic("tmq.control", 1);
        broker.CreateTopic("tmq.status", 1);
        var handled = new ConcurrentQueue<string>();
        var service = await TmqKafkaService.StartAsync(
            broker,
            "orders",
            "status-group",
            new DelegateHandler((message, _) =>
            {
                handled.Enqueue(message.ValueAsString());
                return Task.CompletedTask;
            }),
            new()
            {
                ["Tmq:Control:StatusInterval"] = "00:00:01",
                ["Tmq:Owner:Name"] = "orders-team",
                ["Tmq:Owner:AlertReceivers:0"] = "pagerduty:orders",
                ["Tmq:Owner:AlertReceivers:1"] = "slack:#orders",
            },
            services => services.AddTmqKafkaControl());
        await using (service)
        {
            await service.WaitForAssignmentAsync();
            await KafkaConsumerBasicsTests.ProduceAsync(broker, "orders", Enumerable.Range(0, 7).Select(i => ($"k{i}", $"v{i}")));
            await Eventually.TrueAsync(() => handled.Count == 7, Timeout, "the messages were not handled");
            var control = new ControlMessage("tests.kafka.consumer", "main", new Dictionary<string, string> { ["Concurrency"] = "4" }, DateTimeOffset.UtcNow, "tests@host");
            using (var producer = KafkaTestClients.Producer(broker))
            {
                await producer.ProduceAsync("tmq.control", new Confluent.Kafka.Message<byte[]?, byte[]?> { Key = Encoding.UTF8.GetBytes(control.Key), Value = control.Encode() });
            }

            using var reader = KafkaTestClients.ReadFromStart(broker, "tmq.status", 1);
            var report = await LatestAsync(reader, r => r.Consumers.Any(c => c.Outcomes.GetValueOrDefault("success") == 7 && c.Control.Count == 1 && c.Assigned == 3), "no report showed the 7 successes, the control setting and the 3 partitions");

            Assert.Equal("tests.kafka.consumer", report.Service);
            Assert.StartsWith($"{Environment.MachineName}/{Environment.ProcessId}/", report.Instance, StringComparison.Ordinal);
            Assert.Equal("orders-team", report.Owner);
            Assert.Equal(["pagerduty:orders", "slack:#orders"], report.AlertReceivers);
            Assert.Equal(TimeSpan.FromSeconds(1), report.Interval);
            Assert.False(report.Stopping);
            Assert.NotEmpty(report.TmqVersion);
            var consumer = Assert.Single(report.Consumers);
            Assert.Equal(("main", "kafka", "orders", "status-group"), (consumer.Name, consumer.System, consumer.Topic, consumer.Group));
            Assert.True(consumer.Running);
            Assert.False(consumer.Paused);
            Assert.Equal(["0", "1", "2"], consumer.Lag.Keys.Order());
            Assert.Equal("orders.dlq", consumer.DeadLetterTopic);
            Assert.Equal(0, consumer.Outcomes["dead_letter"]);
            Assert.Equal("4", consumer.Control["Concurrency"]);

            await service.StopAsync();
            var last = await LatestAsync(reader, r => r.Stopping, "no report said the instance was stopping");
            Assert.Equal(report.Instance, last.Instance);
        }
    }

    private static async Task<InstanceStatus> LatestAsync(Confluent.Kafka.IConsumer<byte[]?, byte[]?> reader, Func<InstanceStatus, bool> wanted, string because)
    {
        var deadline = DateTime.UtcNow + Timeout;
        while (DateTime.UtcNow < deadline)
        {
            var result = await Task.Run(() => reader.Consume(TimeSpan.FromMilliseconds(200)));
            if (result is { IsPartitionEOF: false, Message.Value: { } value })
            {
                Assert.True(InstanceStatus.TryDecode(value, out var status, out var error), error);
                Assert.Equal(status!.Instance, Encoding.UTF8.GetString(result.Message.Key!));
                if (wanted(status))
                {
                    return status;
                }
            }
        }

        throw new TimeoutException(because);
    }
}
