using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;

namespace Tmq.Tests.Fakes;

/// <summary>Keeps every log entry of every category, with its exception.</summary>
internal sealed class CollectingLoggerProvider : ILoggerProvider, ILogger
{
    public ConcurrentQueue<(int Id, LogLevel Level, string Message, Exception? Exception)> Entries { get; } = new();

    public ILogger CreateLogger(string categoryName) => this;

    public IDisposable? BeginScope<TState>(TState state)
        where TState : notnull => null;

    public bool IsEnabled(LogLevel logLevel) => true;

    public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
        Entries.Enqueue((eventId.Id, logLevel, formatter(state, exception), exception));

    public void Dispose()
    {
    }
}
