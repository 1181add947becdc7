using System.Collections.Concurrent;
using System.Text;
using Confluent.Kafka;
using Tmq.Kafka.Tests.Fakes;

namespace Tmq.Kafka.Tests.Consumer;

/// <summary>
/// Messages a typed (JSON) handler cannot take: each is dead-lettered once, byte for byte with
/// the documented headers, and the consumer goes on to the next message; nothing is redelivered
/// in a loop and the consumer never faults.
/// </summary>
public sealed class KafkaHostileMessageTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(60);

    public sealed record Order(string Id, decimal Amount);

    [Fact]
    public async Task TypedHandler_HostileMessages_EachDeadLetteredOnceAndTheNextGoodOneHandled()
    {
        using var broker = EmbeddedKafkaBroker.Start();
        broker.CreateTopic("orders", 1);
        broker.CreateTopic("orders.dlq", 1);
        var random = new Random(14_0006);
        byte[] notUtf8 = [0xff, 0xfe, 0xc3, 0x28, 0xed, 0xa0, 0x80];
        var hugeHeaders = new Headers();
        for (var i = 0; i < 3; i++)
        {
            var value = new byte[300_000]; // three of them: 900 KB, close to the producer's 1 MB message.max.bytes
            random.NextBytes(value);
            hugeHeaders.Add($"blob-{i}", value);
        }

        var hostile = new (string Name, byte[]? Key, byte[]? Value, Headers? Headers)[]
        {
            ("huge headers", "k-huge"u8.ToArray(), "not json"u8.ToArray(), hugeHeaders),
            ("key not UTF-8, value not JSON", notUtf8, [0x00, 0x01, 0x02], null),
            ("null value", "k-null"u8.ToArray(), null, null),
            ("empty value", "k-empty"u8.ToArray(), [], null),
            ("JSON null", "k-literal"u8.ToArray(), "null"u8.ToArray(), null),
            ("wrong shape", "k-shape"u8.ToArray(), """{"id":5,"amount":"lots"}"""u8.ToArray(), null),
            ("required member missing", "k-missing"u8.ToArray(), """{"amount":3}"""u8.ToArray(), null),
            ("string not UTF-8", "k-bytes"u8.ToArray(), [.. "{\"id\":\""u8, 0xc3, 0x28, .. "\",\"amount\":1}"u8], null),
            ("nested past the depth limit", "k-deep"u8.ToArray(), Encoding.ASCII.GetBytes(new string('[', 100_000)), null),
            ("truncated", "k-cut"u8.ToArray(), """{"id":"o-1","amo"""u8.ToArray(), null),
        };
        using (var producer = KafkaTestClients.Producer(broker))
        {
            foreach (var (_, key, value, headers) in hostile)
            {
                await producer.ProduceAsync("orders", new Message<byte[]?, byte[]?> { Key = key, Value = value, Headers = headers });
            }

            await producer.ProduceAsync("orders", new Message<byte[]?, byte[]?> { Key = notUtf8, Value = """{"id":"good-1","amount":12.5}"""u8.ToArray() });
        }

        var deliveries = new ConcurrentDictionary<long, int>();
        var handled = new ConcurrentQueue<(Order Order, byte[] Key)>();
        var typed = new JsonMessageHandler<Order>(new OrderHandler((order, message) => handled.Enqueue((order, message.Key.ToArray()))));
        var handler = new DelegateHandler((message, cancellationToken) =>
        {
            deliveries.AddOrUpdate(message.Offset, 1, (_, n) => n + 1);
            return typed.HandleAsync(message, cancellationToken);
        });

        await using var service = await TmqKafkaService.StartAsync(broker, "orders", "orders-svc", handler);
        using var dlq = KafkaTestClients.ReadFromStart(broker, "orders.dlq", 1);
        // Different keys are handled side by side, so dead letters arrive in any order.
        var dead = KafkaTestClients.ConsumeExactly(dlq, hostile.Length, Timeout)
            .OrderBy(r => long.Parse(Header(r.Message, DeadLetterHeaders.OriginalOffset), System.Globalization.CultureInfo.InvariantCulture))
            .ToList();
        await Eventually.TrueAsync(() => !handled.IsEmpty, Timeout, "the good message after the hostile ones was not handled");
        await Eventually.TrueAsync(() => KafkaConsumerBasicsTests.CommittedTotal(broker, "orders", "orders-svc", 1) == hostile.Length + 1, Timeout, "the position should pass every message");

        var (order, goodKey) = Assert.Single(handled);
        Assert.Equal(new Order("good-1", 12.5m), order);
        Assert.Equal(notUtf8, goodKey);
        Assert.Equal(hostile.Length, dead.Count);
        for (var i = 0; i < hostile.Length; i++)
        {
            var (name, key, value, headers) = hostile[i];
            var letter = dead[i].Message;
            Assert.True(key.AsSpan().SequenceEqual(letter.Key), $"{name}: key");
            Assert.True((value ?? []).AsSpan().SequenceEqual(letter.Value ?? []), $"{name}: value");
            foreach (var header in headers ?? [])
            {
                Assert.True(header.GetValueBytes().AsSpan().SequenceEqual(letter.Headers.GetLastBytes(header.Key)), $"{name}: header {header.Key}");
            }

            Assert.Equal(typeof(PermanentFailureException).FullName, Header(letter, DeadLetterHeaders.ExceptionType));
            var why = Header(letter, DeadLetterHeaders.ExceptionMessage);
            Assert.StartsWith($"The payload of message orders[0]@{i} ", why, StringComparison.Ordinal);
            Assert.Contains(nameof(Order), why, StringComparison.Ordinal);
            Assert.Equal("1", Header(letter, DeadLetterHeaders.Attempts));
            Assert.Equal("orders", Header(letter, DeadLetterHeaders.OriginalTopic));
            Assert.Equal(i.ToString(System.Globalization.CultureInfo.InvariantCulture), Header(letter, DeadLetterHeaders.OriginalOffset));
            Assert.Equal("orders-svc", Header(letter, DeadLetterHeaders.Group));
        }

        Assert.All(deliveries, d => Assert.Equal(1, d.Value));
        Assert.True(service.Status.Running, "the consumer should still be running");
        Assert.Null(service.Status.Fault);
    }

    private static string Header(Message<byte[]?, byte[]?> message, string name) =>
        Encoding.UTF8.GetString(message.Headers.GetLastBytes(name) ?? []);

    private sealed class OrderHandler(Action<Order, TmqMessage> handle) : IMessageHandler<Order>
    {
        public Task HandleAsync(Order payload, TmqMessage message, CancellationToken cancellationToken)
        {
            handle(payload, message);
            return Task.CompletedTask;
        }
    }
}
