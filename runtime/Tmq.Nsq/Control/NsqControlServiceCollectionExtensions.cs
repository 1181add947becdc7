using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using Tmq;
using Tmq.Control;
using Tmq.Nsq;
using Tmq.Nsq.Control;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Registers the reader of NSQ control messages (<c>tmqtool pause</c>, <c>resume</c>, <c>set</c>).</summary>
public static class NsqControlServiceCollectionExtensions
{
    /// <summary>
    /// Lets the fleet be steered through NSQ: every instance subscribes to the control topic
    /// (<c>Tmq:Control:Topic</c>, default <c>tmq.control</c>) on every nsqd, on an ephemeral channel of
    /// its own, and applies the live settings (Concurrency, Paused, Retry) sent to its service
    /// (<c>Tmq:Service</c>) or to one of its consumers. nsqd are those of <c>Tmq:Control:Nsq</c>, or
    /// else of the first NSQ consumer; through nsqlookupd, every nsqd it lists. Control settings take
    /// precedence over appsettings.json, environment variables and the command line until they are
    /// cleared. It starts before every hosted service registered so far or later, so that it is
    /// subscribed before the consumers start. NSQ keeps no history for it: an instance started later
    /// receives only what is published after it subscribed. Every instance also publishes its status
    /// to <c>Tmq:Control:StatusTopic</c> (default <c>tmq.status</c>) every <c>Tmq:Control:StatusInterval</c>
    /// (5 s), for <c>tmqtool status</c>, through one of the same nsqd.
    /// </summary>
    /// <param name="services">The service collection.</param>
    public static IServiceCollection AddTmqNsqControl(this IServiceCollection services)
    {
        ArgumentNullException.ThrowIfNull(services);
        services.AddOptions<NsqControlOptions>().BindTmqSettings(ControlOptions.SectionName);
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<NsqControlOptions>, ControlOptionsValidator<NsqControlOptions>>());
        services.TryAddSingleton<ControlOverrides>();
        services.TryAddSingleton(static sp => new ControlApplier(sp));
        var listener = ServiceDescriptor.Singleton<IHostedService>(static sp => new NsqControlListener(sp));
        var first = services.Select((d, i) => (d, i)).FirstOrDefault(static x => x.d.ServiceType == typeof(IHostedService)) is var (descriptor, index) && descriptor is not null ? index : services.Count;
        services.Insert(first, listener);

        // Last: it starts after the consumers (it reports on them) and stops before them, saying so.
        services.AddSingleton<IHostedService>(static sp => new NsqStatusPublisher(sp));
        return services;
    }
}
