using System.Collections.Concurrent;
using System.Globalization;
using System.Text;
using CsCheck;
using Tmq.Tests.Fakes;

namespace Tmq.Tests.Dispatch;

/// <summary>
/// Randomised shutdowns: random keys, partitions, handler pacing, concurrency and buffer sizes,
/// stopped after a random number of messages while work is still queued and running. With
/// handlers that succeed, a graceful shutdown commits everything that was handled: the final
/// position of each partition is one past its highest handled offset, and every offset below it
/// was handled exactly once. Reproduce a failure with the seed CsCheck prints (CsCheck_Seed).
/// </summary>
public sealed class ShutdownPropertyTests
{
    private static readonly Gen<(int Key, int Partition, bool Yield)[]> StepsGen =
        Gen.Select(Gen.Int[-1, 5], Gen.Int[0, 2], Gen.Bool).Array[1, 40];

    private static readonly Gen<(OrderingMode Ordering, int Concurrency, int ExtraBuffer, (int Key, int Partition, bool Yield)[] Steps)> ScenarioGen =
        Gen.Select(Gen.Enum<OrderingMode>(), Gen.Int[1, 6], Gen.Int[0, 10], StepsGen);

    [Fact]
    public async Task Stop_RandomPoint_CommitsEverythingHandledAndNothingElse()
    {
        var iterations = int.TryParse(Environment.GetEnvironmentVariable("TMQ_PROPERTY_ITERATIONS"), out var n) ? n / 2 : 500;
        await ScenarioGen.SampleAsync(
            async scenario =>
            {
                var (ordering, concurrency, extraBuffer, steps) = scenario;
                var handled = new ConcurrentBag<(int Partition, long Offset)>();
                var handler = new DelegateHandler(async (message, _) =>
                {
                    handled.Add((message.Partition, message.Offset));
                    if (message.ValueAsString()[0] == 'y')
                    {
                        await Task.Yield();
                    }
                });
                var options = new ConsumerOptions
                {
                    Topic = "orders",
                    Ordering = ordering,
                    Concurrency = concurrency,
                    MaxBufferedMessages = concurrency + extraBuffer,
                    ShutdownTimeout = TimeSpan.FromSeconds(30),
                };
                var consumer = new InMemoryConsumer(handler, options, partitions: 3);
                for (var i = 0; i < steps.Length; i++)
                {
                    var (key, partition, yield) = steps[i];
                    var keyBytes = key < 0 ? ReadOnlyMemory<byte>.Empty : Encoding.UTF8.GetBytes($"k{key}");
                    await consumer.PublishToAsync(partition, keyBytes, Encoding.UTF8.GetBytes((yield ? "y" : "s") + i.ToString(CultureInfo.InvariantCulture)));
                }

                await consumer.StopAsync().WaitAsync(TestTimeout.Default);
                var committed = consumer.CommittedOffsets();
                foreach (var partition in Enumerable.Range(0, 3))
                {
                    var offsets = handled.Where(h => h.Partition == partition).Select(h => h.Offset).ToList();
                    var expected = offsets.Count == 0 ? 0 : offsets.Max() + 1;
                    var position = committed.TryGetValue(partition, out var p) ? p : 0;
                    Assert.True(
                        position == expected,
                        $"partition {partition}: committed {position}, highest handled offset {(offsets.Count == 0 ? "none" : offsets.Max())}");
                    Assert.Equal(Enumerable.Range(0, (int)expected).Select(o => (long)o), offsets.Order());
                }
            },
            iter: iterations,
            threads: 1);
    }
}
