using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;

namespace Tmq.Kafka.Tests.Consumer;

/// <summary>A logger provider that keeps every event, so a test can wait for one.</summary>
internal sealed class LogCapture : ILoggerProvider
{
    public ConcurrentQueue<(LogLevel Level, int EventId, string Message)> Events { get; } = new();

    /// <summary>Keep Debug events too (with <c>Kafka:debug</c> set, librdkafka's debug log); on by default under TMQ_KAFKA_DEBUG.</summary>
    public bool Debug { get; init; } = Environment.GetEnvironmentVariable("TMQ_KAFKA_DEBUG") is { Length: > 0 };

    public bool Has(int eventId) => Events.Any(e => e.EventId == eventId);

    public ILogger CreateLogger(string categoryName) => new Logger(this);

    public void Dispose()
    {
    }

    private sealed class Logger(LogCapture owner) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => logLevel >= (owner.Debug ? LogLevel.Debug : LogLevel.Information);

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            var text = formatter(state, exception);
            owner.Events.Enqueue((logLevel, eventId.Id, text));
            if (Environment.GetEnvironmentVariable("TMQ_TEST_LOG") is { Length: > 0 } path)
            {
                lock (owner)
                {
                    File.AppendAllText(path, $"{DateTime.UtcNow:HH:mm:ss.fff} {logLevel} {eventId.Id} {text} {exception}{Environment.NewLine}");
                }
            }
        }
    }
}
