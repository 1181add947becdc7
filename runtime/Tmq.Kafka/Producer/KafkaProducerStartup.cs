using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace Tmq.Kafka;

/// <summary>
/// Builds the shared producer when the host starts. librdkafka checks its settings only when a
/// client is built, so a producer built on first use let a service with a refused setting start
/// and look healthy, and failed its first send; now the start fails, naming the key and
/// <c>Tmq:Producer</c>.
/// </summary>
internal sealed class KafkaProducerStartup(IServiceProvider services) : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken)
    {
        _ = services.GetRequiredService<KafkaProducer>();
        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
