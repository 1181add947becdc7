namespace Tmq.Kafka.Tests.Consumer;

/// <summary>A handler made of a lambda.</summary>
internal sealed class DelegateHandler(Func<TmqMessage, CancellationToken, Task> handle) : IMessageHandler
{
    public Task HandleAsync(TmqMessage message, CancellationToken cancellationToken) => handle(message, cancellationToken);
}
