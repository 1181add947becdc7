using System.Collections.Concurrent;
using System.Text;
using Confluent.Kafka;
using Tmq.Kafka.Tests.Fakes;

namespace Tmq.Kafka.Tests.Consumer;

public sealed class KafkaConsumerFailureTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(60);

    [Fact]
    public async Task Failures_RetryPermanentAndExhausted_RouteToSuccessOrDeadLetterWithEveryHeader()
    {
        using var broker = EmbeddedKafkaBroker.Start();
        broker.CreateTopic("payments", 2);
        broker.CreateTopic("payments.dlq", 1);
        using (var producer = KafkaTestClients.Producer(broker))
        {
            foreach (var (key, value) in new[] { ("a", "flaky"), ("b", "poison"), ("c", "hopeless"), ("d", "fine") })
            {
                await producer.ProduceAsync("payments", new Message<byte[]?, byte[]?>
                {
                    Key = Encoding.UTF8.GetBytes(key),
                    Value = Encoding.UTF8.GetBytes(value),
                    Headers = new Headers { { "source", Encoding.UTF8.GetBytes("web-" + key) }, { "empty", [] } },
                });
            }
        }

        var attempts = new ConcurrentDictionary<string, int>();
        var done = new ConcurrentDictionary<string, bool>();
        var handler = new DelegateHandler((message, _) =>
        {
            var value = message.ValueAsString();
            attempts.AddOrUpdate(value, 1, (_, n) => n + 1);
            switch (value)
            {
                case "flaky" when message.Attempt < 3:
                    throw new TimeoutException("downstream timed out");
                case "poison":
                    throw new PermanentFailureException("unknown currency XYZ");
                case "hopeless":
                    throw new InvalidOperationException("always fails");
            }

            done[value] = true;
            return Task.CompletedTask;
        });

        await using (var service = await TmqKafkaService.StartAsync(broker, "payments", "payments-svc", handler, new()
        {
            ["Tmq:Consumers:main:Retry:MaxAttempts"] = "4",
        }))
        {
            await Eventually.TrueAsync(() => done.Count == 2, Timeout, "flaky and fine were not both handled");
            await service.StopAsync();

            // Read after the stop, which waits for dead-letter writes: a dead letter written twice would be there by now.
            using var dlq = KafkaTestClients.ReadFromStart(broker, "payments.dlq", 1);
            var dead = KafkaTestClients.ConsumeExactly(dlq, 2, Timeout).ToDictionary(r => Encoding.UTF8.GetString(r.Message.Value!));

            Assert.Equal(3, attempts["flaky"]);
            Assert.Equal(1, attempts["poison"]);
            Assert.Equal(4, attempts["hopeless"]);

            var poison = dead["poison"].Message;
            Assert.Equal("b", Encoding.UTF8.GetString(poison.Key!));
            Assert.Equal("web-b", Header(poison, "source"));
            Assert.Equal(string.Empty, Header(poison, "empty"));
            Assert.Equal("payments", Header(poison, "tmq-dlq-original-topic"));
            Assert.Equal(1, poison.Headers.Count(h => h.Key == "source"));
            Assert.Equal("payments-svc", Header(poison, "tmq-dlq-group"));
            Assert.Equal("1", Header(poison, "tmq-dlq-attempts"));
            Assert.Equal(typeof(PermanentFailureException).FullName, Header(poison, "tmq-dlq-exception-type"));
            Assert.Equal("unknown currency XYZ", Header(poison, "tmq-dlq-exception-message"));
            Assert.Contains("KafkaConsumerFailureTests", Header(poison, "tmq-dlq-stack"));
            Assert.True(int.TryParse(Header(poison, "tmq-dlq-original-partition"), out _));
            Assert.True(long.TryParse(Header(poison, "tmq-dlq-original-offset"), out _));
            Assert.True(long.TryParse(Header(poison, "tmq-dlq-original-timestamp"), out var ts) && ts > 0);
            Assert.True(DateTimeOffset.TryParse(Header(poison, "tmq-dlq-failed-at"), out _));

            var hopeless = dead["hopeless"].Message;
            Assert.Equal("4", Header(hopeless, "tmq-dlq-attempts"));
            Assert.Equal(typeof(InvalidOperationException).FullName, Header(hopeless, "tmq-dlq-exception-type"));
        }

        Assert.Equal(4, KafkaConsumerBasicsTests.CommittedTotal(broker, "payments", "payments-svc", 2));
    }

    [Fact]
    public async Task DeadLetterWritesFail_OriginalNotCommitted_UntilWritesSucceed()
    {
        using var broker = EmbeddedKafkaBroker.Start();
        broker.CreateTopic("jobs", 1);
        broker.CreateTopic("jobs.dlq", 1);
        await KafkaConsumerBasicsTests.ProduceAsync(broker, "jobs", [("k", "poison"), ("k2", "fine")]);

        var fineHandled = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var poisonSeen = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var handler = new DelegateHandler((message, _) =>
        {
            if (message.ValueAsString() == "poison")
            {
                poisonSeen.TrySetResult();
                throw new PermanentFailureException("poison");
            }

            fineHandled.TrySetResult();
            return Task.CompletedTask;
        });

        // Every Produce request fails (non-retriable for the client) until the errors are cleared.
        broker.PushRequestErrors(KafkaApiKey.Produce, Enumerable.Repeat(ErrorCode.TopicAuthorizationFailed, 1000).ToArray());
        await using var service = await TmqKafkaService.StartAsync(broker, "jobs", "jobs-svc", handler);
        await poisonSeen.Task.WaitAsync(Timeout);
        await fineHandled.Task.WaitAsync(Timeout);

        // Several dead-letter writes fail meanwhile; the poison message (offset 0) holds the position.
        await Eventually.TrueAsync(() => CommittedOffset(broker, "jobs", "jobs-svc") == 0, Timeout, "the position should stay at the undead-lettered message");
        broker.ClearRequestErrors(KafkaApiKey.Produce);

        await Eventually.TrueAsync(() => CommittedOffset(broker, "jobs", "jobs-svc") == 2, Timeout, "the position should pass the message once its dead letter is written");

        // Once: the failed writes left nothing behind, and the write that succeeded was not repeated.
        using var dlq = KafkaTestClients.ReadFromStart(broker, "jobs.dlq", 1);
        var dead = KafkaTestClients.ConsumeExactly(dlq, 1, Timeout)[0];
        Assert.Equal("poison", Encoding.UTF8.GetString(dead.Message.Value!));
    }

    [Fact]
    public async Task PermanentFailure_MessageOverAMegabyte_IsDeadLettered()
    {
        // A topic may hold messages larger than a producer's 1 MB default message.max.bytes; the
        // consumer reads them without raising anything, so its dead-letter producer must be able to
        // write them too, or the partition would hold at that message forever.
        using var broker = EmbeddedKafkaBroker.Start();
        broker.CreateTopic("images", 1);
        broker.CreateTopic("images.dlq", 1);
        var value = new byte[2_000_000];
        Random.Shared.NextBytes(value);
        using (var producer = KafkaTestClients.Producer(broker, configure: static c => c.MessageMaxBytes = 3_000_000))
        {
            await producer.ProduceAsync("images", new Message<byte[]?, byte[]?> { Key = "big"u8.ToArray(), Value = value }).Within(Timeout);
        }

        var handler = new DelegateHandler((_, _) => throw new PermanentFailureException("unreadable image"));
        await using var service = await TmqKafkaService.StartAsync(broker, "images", "images-svc", handler);

        await Eventually.TrueAsync(() => CommittedOffset(broker, "images", "images-svc") == 1, Timeout, "the position should pass the dead-lettered message");
        using var dlq = KafkaTestClients.ReadFromStart(broker, "images.dlq", 1);
        var dead = KafkaTestClients.ConsumeExactly(dlq, 1, Timeout)[0];
        Assert.Equal(value, dead.Message.Value);
    }

    private static long CommittedOffset(EmbeddedKafkaBroker broker, string topic, string group)
    {
        using var consumer = KafkaTestClients.GroupConsumer(broker, group);
        return consumer.Committed([new TopicPartition(topic, 0)], TimeSpan.FromSeconds(10))[0].Offset.Value;
    }

    private static string Header(Message<byte[]?, byte[]?> message, string name) =>
        Encoding.UTF8.GetString(message.Headers.GetLastBytes(name) ?? []);
}
