using Tmq.Tests.Fakes;

namespace Tmq.Tests.Dispatch;

public sealed class FailureRoutingTests
{
    [Fact]
    public async Task PermanentFailure_SkipsRetries_DeadLettersAfterOneAttempt()
    {
        var calls = 0;
        var handler = new DelegateHandler((_, _) =>
        {
            Interlocked.Increment(ref calls);
            throw new PermanentFailureException("unknown product");
        });
        await using var consumer = new InMemoryConsumer(handler, new ConsumerOptions { Topic = "orders" });

        await consumer.PublishAsync("k", "v");
        await consumer.WaitForIdleAsync(TestTimeout.Default);

        Assert.Equal(1, calls);
        var dead = Assert.Single(consumer.DeadLetters);
        Assert.Equal(1, dead.Attempts);
        Assert.Equal("orders.dlq", dead.Destination);
        Assert.Equal("v", dead.Message.ValueAsString());
    }

    [Fact]
    public async Task ConfiguredPermanentType_SkipsRetries()
    {
        var handler = new DelegateHandler((_, _) => throw new FormatException("not a number"));
        var options = new ConsumerOptions { Topic = "orders", Retry = { PermanentExceptions = { "System.FormatException" } }, DeadLetter = { Topic = "orders-poison" } };
        await using var consumer = new InMemoryConsumer(handler, options);

        await consumer.PublishAsync("k", "v");
        await consumer.WaitForIdleAsync(TestTimeout.Default);

        var dead = Assert.Single(consumer.DeadLetters);
        Assert.Equal(1, dead.Attempts);
        Assert.Equal("orders-poison", dead.Destination);
    }

    [Fact]
    public async Task TypedHandler_UndeserializablePayload_IsDeadLetteredNotRetried()
    {
        var typed = new OrderHandler();
        var options = new ConsumerOptions { Topic = "orders", Retry = { InitialDelay = TimeSpan.Zero, MaxDelay = TimeSpan.Zero } };
        await using var consumer = new InMemoryConsumer(new JsonMessageHandler<Order>(typed), options);

        await consumer.PublishAsync("1", """{"id":1,"amount":9.5}""");
        await consumer.PublishAsync("2", "{not json");
        await consumer.PublishAsync("3", "null");
        await consumer.WaitForIdleAsync(TestTimeout.Default);

        Assert.Equal([1], typed.Ids);
        Assert.Equal(2, consumer.DeadLetters.Count);
        Assert.All(consumer.DeadLetters, d => Assert.Equal(1, d.Attempts));
        Assert.All(consumer.DeadLetters, d => Assert.IsType<PermanentFailureException>(d.Exception));
        Assert.Contains("not valid JSON for Order", consumer.DeadLetters.Single(d => d.Message.KeyAsString() == "2").Exception.Message);
    }

    [Fact]
    public async Task DeadLetterWriteFails_OriginalStaysUncommittedUntilAWriteSucceeds()
    {
        var time = new TimerAwareTimeProvider();
        var sink = new FailingDeadLetterSink(failures: 2);
        var handler = new DelegateHandler((message, _) =>
            message.ValueAsString() == "poison" ? throw new PermanentFailureException("poison") : Task.CompletedTask);
        var options = new ConsumerOptions { Topic = "orders", DeadLetter = { RetryDelay = TimeSpan.FromSeconds(1) } };
        await using var consumer = new InMemoryConsumer(handler, options, time, partitions: 1) { DeadLetterSink = sink };

        await consumer.PublishAsync("k", "poison");
        await consumer.PublishAsync("other", "fine");
        await time.WaitForTimersAsync(1);
        Assert.Equal(1, sink.Calls);
        Assert.Equal(0, consumer.CommittedOffsets()[0]);

        time.Advance(TimeSpan.FromSeconds(1));
        await time.WaitForTimersAsync(2);
        Assert.Equal(2, sink.Calls);
        Assert.Equal(0, consumer.CommittedOffsets()[0]);
        Assert.Empty(consumer.DeadLetters);

        time.Advance(TimeSpan.FromSeconds(2));
        await consumer.WaitForIdleAsync(TestTimeout.Default);
        Assert.Equal(3, sink.Calls);
        Assert.Single(consumer.DeadLetters);
        Assert.Equal(2, consumer.CommittedOffsets()[0]);
    }

    internal sealed record Order(int Id, decimal Amount);

    private sealed class OrderHandler : IMessageHandler<Order>
    {
        public List<int> Ids { get; } = [];

        public Task HandleAsync(Order payload, TmqMessage message, CancellationToken cancellationToken)
        {
            lock (Ids)
            {
                Ids.Add(payload.Id);
            }

            return Task.CompletedTask;
        }
    }
}
