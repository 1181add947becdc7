using System.Collections.Concurrent;
using System.Text;
using CsCheck;
using Tmq.Tests.Fakes;

namespace Tmq.Tests.Dispatch;

/// <summary>
/// Randomised scenarios through the whole pipeline: random keys, partitions, handler pacing,
/// transient and permanent failures, ordering modes, concurrency and buffer sizes. Every case
/// checks the engine's invariants. Reproduce a failure with the seed CsCheck prints
/// (environment variable CsCheck_Seed).
/// </summary>
public sealed class DispatchPropertyTests
{
    // Real delays are rarer than synchronous and yielding handlers to keep 1,000 cases fast.
    private static readonly Gen<Pace> PaceGen =
        Gen.Frequency((6, Gen.Const(Pace.Sync)), (6, Gen.Const(Pace.Yield)), (1, Gen.Const(Pace.Delay)));

    private static readonly Gen<Step> StepGen =
        Gen.Select(Gen.Int[-1, 7], Gen.Int[0, 3], Gen.Enum<Behaviour>(), Gen.Int[1, 3], PaceGen)
            .Select((key, partition, behaviour, failures, pace) => new Step(key, partition, behaviour, failures, pace));

    private static readonly Gen<Scenario> ScenarioGen =
        Gen.Select(Gen.Enum<OrderingMode>(), Gen.Int[1, 8], Gen.Int[0, 12], Gen.Int[1, 3], Gen.Int[0, 3].Select(i => i == 0), Gen.Int[1, 4], StepGen.Array[1, 60])
            .Select((ordering, concurrency, extraBuffer, attempts, timed, partitions, steps) => new Scenario(
                ordering,
                concurrency,
                concurrency + extraBuffer,
                attempts,
                timed,
                partitions,
                steps.Select(s => s with { Partition = s.Partition % partitions }).ToArray()));

    [Fact]
    public async Task Dispatch_RandomScenarios_KeepEveryInvariant()
    {
        var iterations = int.TryParse(Environment.GetEnvironmentVariable("TMQ_PROPERTY_ITERATIONS"), out var n) ? n : 1_000;
        await ScenarioGen.SampleAsync(RunScenarioAsync, iter: iterations, threads: 1);
    }

    private static async Task RunScenarioAsync(Scenario scenario)
    {
        var run = new Run(scenario);
        var options = new ConsumerOptions
        {
            Topic = "orders",
            Ordering = scenario.Ordering,
            Concurrency = scenario.Concurrency,
            MaxBufferedMessages = scenario.MaxBuffered,
            Retry =
            {
                MaxAttempts = scenario.MaxAttempts,
                InitialDelay = scenario.TimedRetries ? TimeSpan.FromMilliseconds(1) : TimeSpan.Zero,
                MaxDelay = scenario.TimedRetries ? TimeSpan.FromMilliseconds(2) : TimeSpan.Zero,
                Jitter = 0.5,
            },
        };
        await using var consumer = new InMemoryConsumer(new DelegateHandler(run.HandleAsync), options, partitions: scenario.Partitions);
        run.Consumer = consumer;

        for (var i = 0; i < scenario.Steps.Length; i++)
        {
            var step = scenario.Steps[i];
            var key = step.Key < 0 ? ReadOnlyMemory<byte>.Empty : Encoding.UTF8.GetBytes($"k{step.Key}");
            await consumer.PublishToAsync(step.Partition, key, Encoding.UTF8.GetBytes(i.ToString(System.Globalization.CultureInfo.InvariantCulture)));
            // Full, the buffer still takes a partition below its share (MaxBuffered / partitions): at most twice MaxBuffered.
            Assert.True(consumer.Buffered <= 2 * scenario.MaxBuffered, $"buffered {consumer.Buffered} > 2 x {scenario.MaxBuffered}");
        }

        await consumer.WaitForIdleAsync(TestTimeout.Default);
        run.Verify(consumer.Handled, consumer.DeadLetters, consumer.CommittedOffsets());
    }

    internal enum Behaviour
    {
        Succeed,
        FailThenSucceed,
        Permanent,
        AlwaysFail,
    }

    internal enum Pace
    {
        Sync,
        Yield,
        Delay,
    }

    internal sealed record Step(int Key, int Partition, Behaviour Behaviour, int Failures, Pace Pace);

    internal sealed record Scenario(OrderingMode Ordering, int Concurrency, int MaxBuffered, int MaxAttempts, bool TimedRetries, int Partitions, Step[] Steps)
    {
        public override string ToString() =>
            $"{Ordering} c={Concurrency} buf={MaxBuffered} attempts={MaxAttempts} timed={TimedRetries} parts={Partitions} steps=[{string.Join(" ", Steps.Select(s => $"k{s.Key}/p{s.Partition}/{s.Behaviour}{s.Failures}/{s.Pace}"))}]";
    }

    /// <summary>One scenario's observations, recorded from inside the handler.</summary>
    private sealed class Run(Scenario scenario)
    {
        private readonly ConcurrentDictionary<string, int> _activeByGroup = new();
        private readonly ConcurrentQueue<string> _violations = new();
        private readonly List<(string Group, int Index)> _starts = [];
        private readonly int[] _attempts = new int[scenario.Steps.Length];
        private int _inFlight;
        private int _maxInFlight;

        public InMemoryConsumer? Consumer { get; set; }

        public async Task HandleAsync(TmqMessage message, CancellationToken cancellationToken)
        {
            var index = int.Parse(message.ValueAsString(), System.Globalization.CultureInfo.InvariantCulture);
            var step = scenario.Steps[index];
            var group = GroupOf(step);
            var running = Interlocked.Increment(ref _inFlight);
            InterlockedMax(ref _maxInFlight, running);
            if (group is not null && _activeByGroup.AddOrUpdate(group, 1, (_, v) => v + 1) > 1)
            {
                _violations.Enqueue($"message {index}: its ordering group {group} was already running");
            }

            var attempt = Interlocked.Increment(ref _attempts[index]);
            if (attempt != message.Attempt)
            {
                _violations.Enqueue($"message {index}: Attempt is {message.Attempt} on delivery {attempt}");
            }

            lock (_starts)
            {
                _starts.Add((group ?? string.Empty, index));
            }

            if (Consumer!.CommittedOffsets().TryGetValue(message.Partition, out var committed) && committed > message.Offset)
            {
                _violations.Enqueue($"message {index}: committed position {committed} passed its unfinished offset {message.Offset}");
            }

            if (Consumer.Buffered > 2 * scenario.MaxBuffered)
            {
                _violations.Enqueue($"buffered {Consumer.Buffered} exceeds twice {scenario.MaxBuffered}");
            }

            try
            {
                switch (step.Pace)
                {
                    case Pace.Yield:
                        await Task.Yield();
                        break;
                    case Pace.Delay:
                        await Task.Delay(1, cancellationToken);
                        break;
                }

                switch (step.Behaviour)
                {
                    case Behaviour.FailThenSucceed when attempt <= step.Failures:
                    case Behaviour.AlwaysFail:
                        throw new InvalidOperationException($"transient failure of {index}");
                    case Behaviour.Permanent:
                        throw new PermanentFailureException($"poison {index}");
                }
            }
            finally
            {
                if (group is not null)
                {
                    _activeByGroup.AddOrUpdate(group, 0, (_, v) => v - 1);
                }

                Interlocked.Decrement(ref _inFlight);
            }
        }

        public void Verify(IReadOnlyList<TmqMessage> handled, IReadOnlyList<DeadLetterRecord> deadLetters, IReadOnlyDictionary<int, long> committed)
        {
            Assert.Empty(_violations);
            Assert.True(_maxInFlight <= scenario.Concurrency, $"in-flight reached {_maxInFlight} with Concurrency {scenario.Concurrency}");

            var handledIndexes = handled.Select(Index).ToList();
            var deadIndexes = deadLetters.Select(d => Index(d.Message)).ToList();
            Assert.Equal(handledIndexes.Count, handledIndexes.Distinct().Count());
            Assert.Equal(deadIndexes.Count, deadIndexes.Distinct().Count());
            Assert.Empty(handledIndexes.Intersect(deadIndexes));
            Assert.Equal(scenario.Steps.Length, handledIndexes.Count + deadIndexes.Count);

            for (var i = 0; i < scenario.Steps.Length; i++)
            {
                var (deadLettered, attempts) = Expected(scenario.Steps[i]);
                Assert.True(deadLettered == deadIndexes.Contains(i), $"message {i} ({scenario.Steps[i]}): expected dead-lettered={deadLettered}");
                Assert.True(attempts == _attempts[i], $"message {i} ({scenario.Steps[i]}): expected {attempts} deliveries, saw {_attempts[i]}");
            }

            foreach (var record in deadLetters)
            {
                Assert.Equal("orders.dlq", record.Destination);
                Assert.Equal(_attempts[Index(record.Message)], record.Attempts);
            }

            // Per ordering group, first deliveries start in publish order (retries repeat in place).
            foreach (var group in _starts.Where(s => s.Group.Length > 0).GroupBy(s => s.Group))
            {
                var order = group.Select(s => s.Index).Where((index, i) => i == 0 || group.ElementAt(i - 1).Index != index).ToList();
                var expected = Enumerable.Range(0, scenario.Steps.Length).Where(i => GroupOf(scenario.Steps[i]) == group.Key).ToList();
                Assert.Equal(expected, order);
            }

            for (var p = 0; p < scenario.Partitions; p++)
            {
                var count = scenario.Steps.Count(s => s.Partition == p);
                if (count > 0)
                {
                    Assert.True(committed.TryGetValue(p, out var position) && position == count, $"partition {p}: committed {position}, expected {count}");
                }
            }
        }

        private (bool DeadLettered, int Attempts) Expected(Step step) => step.Behaviour switch
        {
            Behaviour.Succeed => (false, 1),
            Behaviour.FailThenSucceed when step.Failures < scenario.MaxAttempts => (false, step.Failures + 1),
            Behaviour.FailThenSucceed or Behaviour.AlwaysFail => (true, scenario.MaxAttempts),
            _ => (true, 1),
        };

        private string? GroupOf(Step step) => scenario.Ordering switch
        {
            OrderingMode.None => null,
            OrderingMode.Key when step.Key >= 0 => $"key {step.Key}",
            _ => $"partition {step.Partition}",
        };

        private static int Index(TmqMessage message) => int.Parse(message.ValueAsString(), System.Globalization.CultureInfo.InvariantCulture);

        private static void InterlockedMax(ref int target, int value)
        {
            int current;
            while ((current = Volatile.Read(ref target)) < value && Interlocked.CompareExchange(ref target, value, current) != current)
            {
            }
        }
    }
}
