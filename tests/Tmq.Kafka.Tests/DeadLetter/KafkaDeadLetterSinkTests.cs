using System.Globalization;
using System.Text;
using Confluent.Kafka;
using Tmq.Kafka.Tests.Fakes;

namespace Tmq.Kafka.Tests.DeadLetter;

public sealed class KafkaDeadLetterSinkTests : IDisposable
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(10);
    private static readonly DateTimeOffset FailedAt = new(2025, 3, 4, 5, 6, 7, 890, TimeSpan.FromHours(2));
    private static readonly DateTimeOffset Produced = new(2025, 3, 4, 3, 0, 0, TimeSpan.Zero);

    private readonly EmbeddedKafkaBroker _broker = EmbeddedKafkaBroker.Start();
    private readonly KafkaProducer _producer;

    public KafkaDeadLetterSinkTests()
    {
        _broker.CreateTopic("orders.dlq", 1);
        var options = new KafkaProducerOptions { BootstrapServers = _broker.BootstrapServers, Linger = TimeSpan.Zero };
        _producer = new KafkaProducer(options);
    }

    public void Dispose()
    {
        _producer.Dispose();
        _broker.Dispose();
    }

    [Fact]
    public async Task WriteAsync_Record_WritesOriginalKeyValueHeadersAndEveryDlqHeader()
    {
        var record = Record(Thrown(new InvalidOperationException("stock service said no")), group: "orders-consumer");
        var sink = new KafkaDeadLetterSink(_producer);

        await sink.WriteAsync(record, CancellationToken.None).WaitAsync(Timeout);

        var message = ConsumeDeadLetter();
        Assert.Equal("order-7", Encoding.UTF8.GetString(message.Key!));
        Assert.Equal("""{"id":7}""", Encoding.UTF8.GetString(message.Value!));

        var headers = message.Headers.Select(h => (h.Key, Value: Encoding.UTF8.GetString(h.GetValueBytes()))).ToList();
        Assert.Equal(("traceparent", "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"), headers[0]);
        Assert.Equal(("tenant", "eu"), headers[1]);
        Assert.Equal(("tenant", "us"), headers[2]);

        var dlq = headers.Skip(3).ToDictionary(h => h.Key, h => h.Value);
        Assert.Equal(10, dlq.Count);
        Assert.Equal("orders", dlq[DeadLetterHeaders.OriginalTopic]);
        Assert.Equal("2", dlq[DeadLetterHeaders.OriginalPartition]);
        Assert.Equal("12345678901", dlq[DeadLetterHeaders.OriginalOffset]);
        Assert.Equal(Produced.ToUnixTimeMilliseconds().ToString(CultureInfo.InvariantCulture), dlq[DeadLetterHeaders.OriginalTimestamp]);
        Assert.Equal("orders-consumer", dlq[DeadLetterHeaders.Group]);
        Assert.Equal("5", dlq[DeadLetterHeaders.Attempts]);
        Assert.Equal("System.InvalidOperationException", dlq[DeadLetterHeaders.ExceptionType]);
        Assert.Equal("stock service said no", dlq[DeadLetterHeaders.ExceptionMessage]);
        Assert.Contains(nameof(Thrown), dlq[DeadLetterHeaders.Stack], StringComparison.Ordinal);
        Assert.Equal("2025-03-04T03:06:07.8900000Z", dlq[DeadLetterHeaders.FailedAt]);
        Assert.Equal(FailedAt, DateTimeOffset.Parse(dlq[DeadLetterHeaders.FailedAt], CultureInfo.InvariantCulture));
    }

    [Fact]
    public void Build_LongMessageAndStack_AreTruncatedAndMissingValuesHaveDefaults()
    {
        var longText = new string('x', DeadLetterHeaders.MaxMessageLength * 3);
        var record = Record(new LongStackException(longText, new string('s', DeadLetterHeaders.MaxStackLength * 2)), group: null,
            timestamp: DateTimeOffset.MinValue);

        var headers = DeadLetterMessage.Build(record).Headers
            .Where(h => h.Key.StartsWith("tmq-dlq-", StringComparison.Ordinal))
            .ToDictionary(h => h.Key, h => Encoding.UTF8.GetString(h.GetValueBytes()), StringComparer.Ordinal);

        Assert.Equal(DeadLetterHeaders.MaxMessageLength, headers[DeadLetterHeaders.ExceptionMessage].Length);
        Assert.EndsWith("...", headers[DeadLetterHeaders.ExceptionMessage], StringComparison.Ordinal);
        Assert.Equal(DeadLetterHeaders.MaxStackLength, headers[DeadLetterHeaders.Stack].Length);
        Assert.Equal(string.Empty, headers[DeadLetterHeaders.Group]);
        Assert.Equal("-1", headers[DeadLetterHeaders.OriginalTimestamp]);
        Assert.Equal(typeof(LongStackException).FullName, headers[DeadLetterHeaders.ExceptionType]);
    }

    [Fact]
    public async Task WriteAsync_InjectedProduceError_Throws()
    {
        var sink = new KafkaDeadLetterSink(_producer);
        await sink.WriteAsync(Record(Thrown(new InvalidOperationException("first")), "g"), CancellationToken.None).WaitAsync(Timeout);

        _broker.PushRequestErrors(KafkaApiKey.Produce, ErrorCode.TopicAuthorizationFailed);
        var ex = await Assert.ThrowsAsync<TmqProduceException>(
            () => sink.WriteAsync(Record(Thrown(new InvalidOperationException("second")), "g"), CancellationToken.None).WaitAsync(Timeout));

        Assert.Equal("orders.dlq", ex.Topic);
        Assert.Equal("TopicAuthorizationFailed", ex.Code);
    }

    [Fact]
    public async Task WriteAsync_BrokerDown_ThrowsAfterDeliveryTimeoutThenSucceedsOnRetry()
    {
        var options = new KafkaProducerOptions { BootstrapServers = _broker.BootstrapServers, Linger = TimeSpan.Zero, DeliveryTimeout = TimeSpan.FromSeconds(1) };
        options.Kafka["reconnect.backoff.max.ms"] = "200";
        using var producer = new KafkaProducer(options);
        var sink = new KafkaDeadLetterSink(producer);
        var record = Record(Thrown(new InvalidOperationException("boom")), "g");
        await Eventually.DeliveredAsync(() => sink.WriteAsync(record, CancellationToken.None), "the first write should connect");

        _broker.SetBrokerDown(1);
        var ex = await Assert.ThrowsAsync<TmqProduceException>(() => sink.WriteAsync(record, CancellationToken.None).WaitAsync(Timeout));
        Assert.True(ex.IsTransient);

        // What the engine does: try again later; once the broker is back the write is acknowledged.
        _broker.SetBrokerUp(1);
        await Eventually.DeliveredAsync(() => sink.WriteAsync(record, CancellationToken.None), "the dead-letter write should succeed once the broker is up");
    }

    private Message<byte[]?, byte[]?> ConsumeDeadLetter()
    {
        using var consumer = KafkaTestClients.ReadFromStart(_broker, "orders.dlq", 1);
        return KafkaTestClients.ConsumeExactly(consumer, 1)[0].Message;
    }

    private static DeadLetterRecord Record(Exception exception, string? group, DateTimeOffset? timestamp = null)
    {
        var headers = new TmqHeaders()
            .Add("traceparent", "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01")
            .Add("tenant", "eu")
            .Add("tenant", "us");
        var message = new TmqMessage("orders", Encoding.UTF8.GetBytes("order-7"), Encoding.UTF8.GetBytes("""{"id":7}"""))
        {
            Headers = headers,
            Partition = 2,
            Offset = 12_345_678_901,
            Timestamp = timestamp ?? Produced,
            Attempt = 5,
        };
        return new DeadLetterRecord(message, "orders.dlq", group, exception, FailedAt);
    }

    private static Exception Thrown(Exception exception)
    {
        try
        {
            throw exception;
        }
        catch (Exception caught)
        {
            return caught;
        }
    }

    private sealed class LongStackException(string message, string stack) : Exception(message)
    {
        public override string StackTrace => stack;
    }
}
