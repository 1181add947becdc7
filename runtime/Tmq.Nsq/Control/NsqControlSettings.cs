using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Tmq.Control;

namespace Tmq.Nsq;

/// <summary>
/// The <c>Tmq:Control:Nsq</c> block: where the control reader finds nsqd, and how it talks to them
/// (TLS, AUTH, compression, as an NSQ consumer's <c>Nsq</c> block). It keeps one connection to each
/// nsqd: <see cref="NsqClientSettings.ConnectionsPerNsqd"/> is not used.
/// </summary>
public sealed class NsqControlSettings : NsqClientSettings
{
    /// <summary>
    /// nsqlookupd HTTP addresses (e.g. <c>http://nsqlookupd-1:4161</c>): the control topic is read on
    /// every nsqd that any of them lists in <c>/nodes</c>, asked again every
    /// <see cref="LookupdPollInterval"/>. This, <see cref="Nsqd"/>, or both. <value>Defaults to empty.</value>
    /// </summary>
    public List<string> Lookupd { get; set; } = [];

    /// <summary>Fixed nsqd TCP addresses (<c>host:4150</c>), read whatever lookupd says. <value>Defaults to empty.</value></summary>
    public List<string> Nsqd { get; set; } = [];

    /// <summary>How often lookupd is asked for its nsqd (with up to 10% jitter). <value>Defaults to 60 s, as for consumers.</value></summary>
    public TimeSpan LookupdPollInterval { get; set; } = NsqDefaults.LookupdPollInterval;

    /// <summary>First wait before reconnecting to an nsqd that dropped; doubles up to <see cref="MaxReconnectDelay"/>, with jitter. <value>Defaults to 1 s.</value></summary>
    public TimeSpan ReconnectDelay { get; set; } = NsqDefaults.ReconnectDelay;

    /// <summary>The longest wait between reconnection attempts. <value>Defaults to 60 s.</value></summary>
    public TimeSpan MaxReconnectDelay { get; set; } = NsqDefaults.MaxReconnectDelay;

    /// <summary>
    /// The addresses and security settings of an NSQ consumer's <c>Nsq</c> block, used when
    /// <c>Tmq:Control:Nsq</c> is not set. Its MaxInFlight, Identify fields and the like are for
    /// consuming its own topic, not control messages, and are left out.
    /// </summary>
    internal static NsqControlSettings From(NsqConsumerSettings consumer) => new()
    {
        Lookupd = [.. consumer.Lookupd],
        Nsqd = [.. consumer.Nsqd],
        LookupdPollInterval = consumer.LookupdPollInterval,
        ReconnectDelay = consumer.ReconnectDelay,
        MaxReconnectDelay = consumer.MaxReconnectDelay,
        HeartbeatInterval = consumer.HeartbeatInterval,
        Tls = consumer.Tls,
        TlsCaFile = consumer.TlsCaFile,
        TlsCertFile = consumer.TlsCertFile,
        TlsKeyFile = consumer.TlsKeyFile,
        Snappy = consumer.Snappy,
        Deflate = consumer.Deflate,
        DeflateLevel = consumer.DeflateLevel,
        AuthSecret = consumer.AuthSecret,
        MaxMessageBytes = consumer.MaxMessageBytes,
        ConnectTimeout = consumer.ConnectTimeout,
    };

    /// <summary>
    /// Where the control reader and the status publisher find nsqd: <c>Tmq:Control:Nsq</c>, or else
    /// the addresses and security settings of the first NSQ consumer that has nsqd or lookupd addresses.
    /// </summary>
    internal static NsqControlSettings Resolve(IServiceProvider services, NsqControlOptions options, ControlApplier applier)
    {
        if (options.Nsq is { } own)
        {
            return own;
        }

        var monitor = services.GetRequiredService<IOptionsMonitor<NsqConsumerOptions>>();
        foreach (var name in applier.Consumers)
        {
            NsqConsumerOptions consumer;
            try
            {
                consumer = monitor.Get(name);
            }
            catch (Exception e) when (e is OptionsValidationException or InvalidOperationException)
            {
                // Another transport's consumer: its section does not make NSQ consumer options.
                continue;
            }

            if (consumer.Nsq is { } nsq && (nsq.Nsqd.Count > 0 || nsq.Lookupd.Count > 0))
            {
                return From(nsq);
            }
        }

        throw new TmqSettingsException(
            ControlOptions.SectionName,
            typeof(NsqControlOptions),
            $"{ControlOptions.SectionName}:Nsq is not set and no NSQ consumer has nsqd or lookupd addresses to borrow: set {ControlOptions.SectionName}:Nsq:Nsqd (nsqd TCP addresses) or {ControlOptions.SectionName}:Nsq:Lookupd (nsqlookupd HTTP addresses), or register an NSQ consumer.");
    }
}
