using System.Collections.Concurrent;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Tmq.Nsq.Tests.Fakes;

/// <summary>
/// A generic host running one NSQ consumer ("main", topic "orders", service "shop.orders.consumer")
/// and optionally the NSQ producer, configured like a generated service, with every log line kept.
/// </summary>
internal sealed class NsqTestHost : IAsyncDisposable
{
    private readonly IHost _host;
    private int _stopped;

    private NsqTestHost(IHost host, LogLines logs)
    {
        _host = host;
        Logs = logs;
    }

    public LogLines Logs { get; }

    public IServiceProvider Services => _host.Services;

    /// <summary>
    /// Builds and starts the host. <paramref name="settings"/> are relative to <c>Tmq</c> (e.g.
    /// <c>Consumers:main:Nsq:Nsqd:0</c>); <paramref name="configure"/> registers more services after the consumer's.
    /// </summary>
    public static async Task<NsqTestHost> StartAsync(
        IDictionary<string, string?> settings,
        Func<TmqMessage, CancellationToken, Task> handle,
        TimeProvider? time = null,
        bool consumer = true,
        bool producer = false,
        Action<IServiceCollection>? configure = null)
    {
        var builder = Host.CreateApplicationBuilder();
        builder.Logging.ClearProviders();
        var logs = new LogLines();
        builder.Logging.AddProvider(logs);
        builder.Logging.SetMinimumLevel(LogLevel.Debug);
        var configuration = new Dictionary<string, string?>
        {
            ["Tmq:Service"] = "shop.orders.consumer",
            ["Tmq:Consumers:main:Topic"] = "orders",
            ["Tmq:Consumers:main:ShutdownTimeout"] = "00:00:10",
            ["Tmq:Consumers:main:Nsq:ReconnectDelay"] = "00:00:00.050",
            ["Tmq:Consumers:main:Nsq:MaxReconnectDelay"] = "00:00:00.200",
        };
        foreach (var (key, value) in settings)
        {
            configuration["Tmq:" + key] = value;
        }

        builder.Configuration.AddInMemoryCollection(configuration);
        if (time is not null)
        {
            builder.Services.AddSingleton(time);
        }

        builder.Services.AddSingleton(new DelegateHandler(handle));
        if (consumer)
        {
            builder.Services.AddTmqNsqConsumer<DelegateHandler>("main");
        }

        if (producer)
        {
            builder.Services.AddTmqNsqProducer();
        }

        configure?.Invoke(builder.Services);

        var host = builder.Build();
        await host.StartAsync();
        return new NsqTestHost(host, logs);
    }

    public Task StopAsync() => Interlocked.Exchange(ref _stopped, 1) == 0 ? _host.StopAsync() : Task.CompletedTask;

    public async ValueTask DisposeAsync()
    {
        await StopAsync();
        _host.Dispose();
    }
}

/// <summary>A handler made of a lambda.</summary>
internal sealed class DelegateHandler(Func<TmqMessage, CancellationToken, Task> handle) : IMessageHandler
{
    public Task HandleAsync(TmqMessage message, CancellationToken cancellationToken) => handle(message, cancellationToken);
}

/// <summary>Every log line of a host: level, event id, category and text.</summary>
internal sealed class LogLines : ILoggerProvider
{
    public ConcurrentQueue<string> Lines { get; } = new();

    public bool Contains(string text) => Lines.Any(l => l.Contains(text, StringComparison.Ordinal));

    public ILogger CreateLogger(string categoryName) => new Logger(this, categoryName);

    public void Dispose()
    {
    }

    public override string ToString() => string.Join(Environment.NewLine, Lines);

    private sealed class Logger(LogLines owner, string category) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
            owner.Lines.Enqueue($"{logLevel} {eventId.Id} {category}: {formatter(state, exception)}");
    }
}
