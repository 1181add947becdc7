using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;

namespace Tmq.Tests.Shared;

/// <summary>
/// Every log line of a host, each with its exception's full text (inner exceptions and stack
/// included), and the check that none of them, nor an exception a test caught, holds a secret.
/// </summary>
internal sealed class SecretLogs(params string[] secrets) : ILoggerProvider
{
    public ConcurrentQueue<string> Lines { get; } = new();

    /// <summary>The log lines, and the lines of <paramref name="caught"/>'s text and of each inner exception's message, that hold a secret.</summary>
    public List<string> Leaks(Exception? caught = null)
    {
        var texts = Lines.AsEnumerable();
        if (caught is not null)
        {
            texts = texts.Concat(caught.ToString().Split('\n')).Concat(Flatten(caught).Select(e => e.Message));
        }

        return texts.Where(line => secrets.Any(s => line.Contains(s, StringComparison.Ordinal))).ToList();
    }

    public ILogger CreateLogger(string categoryName) => new Logger(this, categoryName);

    public void Dispose()
    {
    }

    private static IEnumerable<Exception> Flatten(Exception ex)
    {
        yield return ex;
        var inner = ex is AggregateException aggregate ? aggregate.InnerExceptions : ex.InnerException is { } one ? [one] : [];
        foreach (var child in inner.SelectMany(Flatten))
        {
            yield return child;
        }
    }

    private sealed class Logger(SecretLogs owner, string category) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            owner.Lines.Enqueue($"{logLevel} {category} {eventId.Id} {formatter(state, exception)}");
            foreach (var line in exception?.ToString().Split('\n') ?? [])
            {
                owner.Lines.Enqueue(line);
            }
        }
    }
}
