using System.Diagnostics;
using Microsoft.Extensions.Logging;

namespace Tmq.Benchmarks;

/// <summary>
/// Keeps a benchmarked consumer's first warning or error and counts the Kafka loop's backpressure
/// pauses (event 2012); with <c>TMQ_BENCH_LOG=1</c> echoes every log line (debug included) to stderr.
/// </summary>
internal sealed class BenchLogs : ILoggerProvider, ILogger
{
    private readonly long _start = Stopwatch.GetTimestamp();
    private int _pauses;
    private int _problems;

    public bool Echo { get; } = Environment.GetEnvironmentVariable("TMQ_BENCH_LOG") == "1";

    public int BackpressurePauses => Volatile.Read(ref _pauses);

    public int Problems => Volatile.Read(ref _problems);

    public string? FirstProblem { get; private set; }

    public ILogger CreateLogger(string categoryName) => this;

    public void Dispose()
    {
    }

    public IDisposable? BeginScope<TState>(TState state)
        where TState : notnull => null;

    public bool IsEnabled(LogLevel logLevel) => Echo || logLevel >= LogLevel.Information;

    public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
    {
        if (Echo)
        {
            Console.Error.WriteLine($"{Stopwatch.GetElapsedTime(_start).TotalMilliseconds,9:F1} ms {logLevel} {eventId.Id}: {formatter(state, exception)}");
        }

        if (eventId.Id == 2012)
        {
            var text = formatter(state, exception);
            if (text.Contains("fetching paused", StringComparison.Ordinal) && text.Contains("MaxBufferedMessages", StringComparison.Ordinal))
            {
                Interlocked.Increment(ref _pauses);
            }
        }
        else if (logLevel >= LogLevel.Warning && Interlocked.Increment(ref _problems) == 1)
        {
            FirstProblem = formatter(state, exception) + (exception is null ? string.Empty : $" ({exception.GetType().Name}: {exception.Message})");
        }
    }
}
