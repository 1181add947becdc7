using System.ComponentModel.DataAnnotations;
using System.Diagnostics;
using System.Text;
using Confluent.Kafka;
using Tmq.Kafka.Tests.Fakes;

namespace Tmq.Kafka.Tests.Producer;

public sealed class KafkaProducerTests : IDisposable
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(10);
    private readonly EmbeddedKafkaBroker _broker = EmbeddedKafkaBroker.Start();

    public void Dispose() => _broker.Dispose();

    private KafkaProducer CreateProducer(Action<KafkaProducerOptions>? configure = null, ListLogger? logger = null)
    {
        var options = new KafkaProducerOptions { BootstrapServers = _broker.BootstrapServers, Linger = TimeSpan.Zero };
        options.Kafka["reconnect.backoff.max.ms"] = "500";
        configure?.Invoke(options);
        return new KafkaProducer(options, logger, serviceName: "tests.producer");
    }

    [Fact]
    public async Task SendAsync_KeyedMessages_ResultsCarryPartitionAndOffset()
    {
        _broker.CreateTopic("orders", partitions: 3);
        using var producer = CreateProducer();

        var results = new List<TmqDeliveryResult>();
        for (var i = 0; i < 9; i++)
        {
            results.Add(await producer.SendAsync("orders", Encoding.UTF8.GetBytes($"key-{i % 3}"), Encoding.UTF8.GetBytes($"v{i}")).Within(Timeout));
        }

        Assert.All(results, r => Assert.Equal("orders", r.Topic));
        Assert.All(results, r => Assert.InRange(r.Partition, 0, 2));
        Assert.All(results, r => Assert.True(r.Timestamp > DateTimeOffset.UnixEpoch));
        foreach (var byKey in results.Select((r, i) => (r, key: i % 3)).GroupBy(x => x.key))
        {
            Assert.Single(byKey.Select(x => x.r.Partition).Distinct());
        }

        foreach (var byPartition in results.GroupBy(r => r.Partition))
        {
            // Offsets in a partition follow send order without gaps.
            Assert.Equal(Enumerable.Range(0, byPartition.Count()).Select(o => (long)o), byPartition.Select(r => r.Offset));
        }
    }

    [Fact]
    public async Task SendAsync_Headers_RoundTripInOrderWithDuplicatesAndEmptyValues()
    {
        _broker.CreateTopic("headers", 1);
        using var producer = CreateProducer();
        var headers = new TmqHeaders().Add("a", "1").Add("empty", ReadOnlyMemory<byte>.Empty).Add("a", "2").Add("bin", new byte[] { 0, 255 });

        await producer.SendAsync("headers", "k", "v", headers).Within(Timeout);

        using var consumer = KafkaTestClients.ReadFromStart(_broker, "headers", 1);
        var message = KafkaTestClients.ConsumeExactly(consumer, 1)[0].Message;
        Assert.Equal("k", Encoding.UTF8.GetString(message.Key!));
        Assert.Equal("v", Encoding.UTF8.GetString(message.Value!));
        Assert.Equal(["a", "empty", "a", "bin"], message.Headers.Select(h => h.Key));
        Assert.Equal([[.. "1"u8], [], [.. "2"u8], [0, 255]], message.Headers.Select(h => h.GetValueBytes()));
        Assert.Equal(4, headers.Count);
    }

    [Fact]
    public async Task SendAsync_WithCurrentActivity_AddsTraceparentAndTracestate()
    {
        _broker.CreateTopic("traced", 1);
        using var producer = CreateProducer();
        using var activity = new Activity("handler").SetIdFormat(ActivityIdFormat.W3C);
        activity.TraceStateString = "vendor=abc";
        activity.Start();

        await producer.SendAsync("traced", "k", "v").Within(Timeout);
        activity.Stop();

        using var consumer = KafkaTestClients.ReadFromStart(_broker, "traced", 1);
        var headers = KafkaTestClients.ConsumeExactly(consumer, 1)[0].Message.Headers;
        Assert.Equal(activity.Id, Encoding.UTF8.GetString(headers.GetLastBytes("traceparent")));
        Assert.Equal("vendor=abc", Encoding.UTF8.GetString(headers.GetLastBytes("tracestate")));
    }

    [Fact]
    public async Task SendAsync_WithTmqListener_TraceparentIsTheSendSpanInTheCallersTrace()
    {
        _broker.CreateTopic("spans", 1);
        var spans = new List<Activity>();
        using var listener = new ActivityListener
        {
            ShouldListenTo = s => s.Name == "Tmq",
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
            ActivityStopped = a => { lock (spans) { spans.Add(a); } },
        };
        ActivitySource.AddActivityListener(listener);
        using var producer = CreateProducer();
        using var parent = new Activity("handler").SetIdFormat(ActivityIdFormat.W3C).Start();

        await producer.SendAsync("spans", "k", "v").Within(Timeout);

        using var consumer = KafkaTestClients.ReadFromStart(_broker, "spans", 1);
        var traceparent = Encoding.UTF8.GetString(KafkaTestClients.ConsumeExactly(consumer, 1)[0].Message.Headers.GetLastBytes("traceparent"));
        Activity send;
        lock (spans)
        {
            send = Assert.Single(spans, s => s.OperationName == "send spans");
        }

        Assert.Equal(send.Id, traceparent);
        Assert.Equal(parent.TraceId, send.TraceId);
        Assert.Equal(ActivityKind.Producer, send.Kind);
        Assert.Equal("0", send.GetTagItem("messaging.destination.partition.id"));
    }

    [Fact]
    public async Task SendAsync_CallerSetTraceparent_IsKept()
    {
        _broker.CreateTopic("own-trace", 1);
        using var producer = CreateProducer();
        using var activity = new Activity("handler").SetIdFormat(ActivityIdFormat.W3C).Start();
        const string own = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01";

        await producer.SendAsync("own-trace", "k", "v", new TmqHeaders().Add("traceparent", own)).Within(Timeout);

        using var consumer = KafkaTestClients.ReadFromStart(_broker, "own-trace", 1);
        var headers = KafkaTestClients.ConsumeExactly(consumer, 1)[0].Message.Headers;
        Assert.Equal(own, Encoding.UTF8.GetString(Assert.Single(headers, h => h.Key == "traceparent").GetValueBytes()));
    }

    [Fact]
    public async Task SendAsync_NoActivity_AddsNoTraceHeaders()
    {
        _broker.CreateTopic("untraced", 1);
        using var producer = CreateProducer();
        Activity.Current = null;

        await producer.SendAsync("untraced", "k", "v").Within(Timeout);

        using var consumer = KafkaTestClients.ReadFromStart(_broker, "untraced", 1);
        Assert.Empty(KafkaTestClients.ConsumeExactly(consumer, 1)[0].Message.Headers);
    }

    [Fact]
    public async Task SendJsonAsync_WritesWebJsonThatValueAsJsonReads()
    {
        _broker.CreateTopic("json", 1);
        using var producer = CreateProducer();

        await producer.SendJsonAsync("json", "order-1", new Order(42, "created")).Within(Timeout);

        using var consumer = KafkaTestClients.ReadFromStart(_broker, "json", 1);
        var message = KafkaTestClients.ConsumeExactly(consumer, 1)[0].Message;
        Assert.Equal("""{"id":42,"status":"created"}""", Encoding.UTF8.GetString(message.Value!));
        Assert.Equal(new Order(42, "created"), new TmqMessage("json", message.Key, message.Value).ValueAsJson<Order>());
    }

    [Fact]
    public async Task SendAsync_EmptyKey_SendsNullKey()
    {
        _broker.CreateTopic("nokey", 1);
        using var producer = CreateProducer();

        await producer.SendAsync("nokey", null, "v").Within(Timeout);

        using var consumer = KafkaTestClients.ReadFromStart(_broker, "nokey", 1);
        Assert.Null(KafkaTestClients.ConsumeExactly(consumer, 1)[0].Message.Key);
    }

    [Fact]
    public async Task SendAsync_NonRetriableBrokerError_ThrowsTmqProduceException()
    {
        _broker.CreateTopic("denied", 1);
        using var producer = CreateProducer();
        await producer.SendAsync("denied", "k", "warm-up").Within(Timeout);

        _broker.PushRequestErrors(KafkaApiKey.Produce, ErrorCode.TopicAuthorizationFailed);
        var ex = await Assert.ThrowsAsync<TmqProduceException>(() => producer.SendAsync("denied", "k", "v").Within(Timeout));

        Assert.Equal("TopicAuthorizationFailed", ex.Code);
        Assert.Equal("denied", ex.Topic);
        Assert.False(ex.IsTransient);
        Assert.Contains("'denied'", ex.Message, StringComparison.Ordinal);
        Assert.Contains("WRITE", ex.Message, StringComparison.Ordinal);
        Assert.IsType<ProduceException<byte[]?, byte[]?>>(ex.InnerException);
    }

    [Fact]
    public async Task SendAsync_BrokerDownPastDeliveryTimeout_ThrowsTransientTimeout()
    {
        _broker.CreateTopic("timeout", 1);
        using var producer = CreateProducer(o => o.DeliveryTimeout = TimeSpan.FromSeconds(1));
        await Eventually.DeliveredAsync(() => producer.SendAsync("timeout", "k", "warm-up"), "the first send should connect");

        _broker.SetBrokerDown(1);
        var ex = await Assert.ThrowsAsync<TmqProduceException>(() => producer.SendAsync("timeout", "k", "v").Within(Timeout));

        Assert.Equal("Local_MsgTimedOut", ex.Code);
        Assert.True(ex.IsTransient);
        Assert.Contains("DeliveryTimeout", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Dispose_PendingSends_AreFlushedBeforeClosing()
    {
        _broker.CreateTopic("flush", 1);
        var producer = CreateProducer(o => o.Linger = TimeSpan.FromMilliseconds(200));
        var sends = Enumerable.Range(0, 20).Select(i => producer.SendAsync("flush", $"k{i}", $"v{i}")).ToList();

        producer.Dispose();

        // Flushed, not abandoned: every send succeeds, in order.
        var results = await Task.WhenAll(sends).WaitAsync(Timeout);
        Assert.Equal(Enumerable.Range(0, 20).Select(i => (long)i), results.Select(r => r.Offset));
    }

    [Fact]
    public async Task Dispose_BrokerDown_GivesUpAfterFlushTimeoutAndFailsPendingSends()
    {
        _broker.CreateTopic("stuck", 1);
        var flushTimeout = TimeSpan.FromMilliseconds(300);
        var producer = CreateProducer(o =>
        {
            o.FlushTimeout = flushTimeout;
            o.DeliveryTimeout = TimeSpan.FromMinutes(5);
        });
        await producer.SendAsync("stuck", "k", "warm-up").Within(Timeout);
        _broker.SetBrokerDown(1);
        var pending = producer.SendAsync("stuck", "k", "v");

        // Waits its flush timeout, and no longer: a flush that waited for the send itself would
        // block for its 5 min delivery timeout, far past the ceiling (which no load reaches).
        // No upper bound near the 300 ms: a loaded machine stretches any.
        var clock = Stopwatch.StartNew();
        await Task.Run(producer.Dispose).WaitAsync(TimeSpan.FromSeconds(30));
        Assert.True(clock.Elapsed >= flushTimeout * 0.9, $"disposal gave up after {clock.Elapsed.TotalMilliseconds:F0} ms, before its flush timeout");

        var ex = await Assert.ThrowsAsync<TmqProduceException>(() => pending.Within(Timeout));
        Assert.Equal("Disposed", ex.Code);
        Assert.True(ex.MayHaveBeenWritten);
        await Assert.ThrowsAsync<ObjectDisposedException>(() => producer.SendAsync("stuck", "k", "late"));
        producer.Dispose();
    }

    [Fact]
    public void Constructor_MissingBootstrapServers_ThrowsValidationExceptionNamingTheSetting()
    {
        var ex = Assert.Throws<ValidationException>(() => new KafkaProducer(new KafkaProducerOptions()));
        Assert.Contains("Tmq:Producer:BootstrapServers", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Constructor_UnknownLibrdkafkaKey_ThrowsArgumentExceptionNamingIt()
    {
        var ex = Assert.Throws<ArgumentException>(() => CreateProducer(o => o.Kafka["no.such.property"] = "1"));
        Assert.Contains("no.such.property", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Constructor_SecretSettings_AreNeverLogged()
    {
        var logger = new ListLogger();
        using (CreateProducer(
            o =>
            {
                o.Kafka["sasl.password"] = "hunter2-password";
                o.Kafka["ssl.key.password"] = "hunter2-keypass";
            },
            logger))
        {
        }

        var all = string.Join('\n', logger.Lines);
        Assert.Contains("sasl.password=***", all, StringComparison.Ordinal);
        Assert.DoesNotContain("hunter2", all, StringComparison.Ordinal);
    }

    [Fact]
    public void Build_Defaults_AreIdempotentAcksAllWithMeasuredLingerAndCompression()
    {
        var config = KafkaProducerConfig.Build(new KafkaProducerOptions { BootstrapServers = "b:9092" }, serviceName: "shop.orders");

        Assert.True(config.EnableIdempotence);
        Assert.Equal(Acks.All, config.Acks);
        Assert.Equal(KafkaProducerDefaults.Linger.TotalMilliseconds, config.LingerMs);
        Assert.Equal(KafkaProducerDefaults.Compression, config.CompressionType);
        Assert.Equal(30_000, config.MessageTimeoutMs);
        Assert.Equal("shop.orders", config.ClientId);
    }

    [Fact]
    public void Build_KafkaPassThrough_OverridesTypedSettings()
    {
        var options = new KafkaProducerOptions { BootstrapServers = "b:9092", Compression = CompressionType.Lz4 };
        options.Kafka["compression.type"] = "zstd";
        options.Kafka["batch.size"] = "65536";

        var config = KafkaProducerConfig.Build(options, serviceName: null);

        Assert.Equal(CompressionType.Zstd, config.CompressionType);
        Assert.Equal("65536", config.Get("batch.size"));
        Assert.Equal(KafkaProducerConfig.DefaultClientId, config.ClientId);
    }

    private sealed record Order(int Id, string Status);
}
