using Tmq.Control;

namespace Tmq.Nsq;

/// <summary>
/// How an instance reads control messages from NSQ, bound from <c>Tmq:Control</c>: the topic, and
/// optionally an <c>Nsq</c> block saying where nsqd is. Without one, the addresses and security
/// settings of the first NSQ consumer are used.
/// </summary>
/// <remarks>
/// NSQ keeps no history for a channel that does not exist yet, so there is nothing to catch up on at
/// start-up: <see cref="ControlOptions.StartupTimeout"/> bounds how long start-up waits to be
/// subscribed on the nsqd known then, so that a message published once the service has started
/// reaches it.
/// </remarks>
public sealed class NsqControlOptions : ControlOptions
{
    /// <summary>The NSQ default status topic: ephemeral, so that nsqd keeps no reports on disk and, while nobody reads them, drops what its memory queue cannot hold instead of piling them up.</summary>
    public const string DefaultStatusTopic = "tmq.status#ephemeral";

    /// <summary>Sets the NSQ defaults.</summary>
    public NsqControlOptions() => StatusTopic = DefaultStatusTopic;

    /// <summary>Where nsqd is and how to talk to it. <value>Defaults to null: the first NSQ consumer's addresses and security settings.</value></summary>
    public NsqControlSettings? Nsq { get; set; }

    /// <inheritdoc />
    public override IEnumerable<string> Problems()
    {
        foreach (var problem in base.Problems())
        {
            yield return problem;
        }

        if (!string.IsNullOrWhiteSpace(Topic) && !NsqNames.IsValid(Topic))
        {
            yield return $"{SectionName}:Topic is \"{Topic}\"; an NSQ topic name is {NsqNames.Rule}.";
        }

        if (!string.IsNullOrWhiteSpace(StatusTopic) && StatusTopic != Topic && !NsqNames.IsValid(StatusTopic))
        {
            yield return $"{SectionName}:StatusTopic is \"{StatusTopic}\"; an NSQ topic name is {NsqNames.Rule}.";
        }

        if (Nsq is not { } nsq)
        {
            yield break;
        }

        var path = $"{SectionName}:Nsq";
        if (nsq.Lookupd.Count == 0 && nsq.Nsqd.Count == 0)
        {
            yield return $"{path}:Lookupd is empty and so is {path}:Nsqd; set nsqlookupd HTTP addresses (e.g. [\"http://127.0.0.1:4161\"]) or nsqd TCP addresses (e.g. [\"127.0.0.1:4150\"]), or remove {path} to use the first NSQ consumer's.";
        }

        foreach (var address in nsq.Lookupd.Where(static a => !NsqAddress.TryParseLookupd(a, out _)))
        {
            yield return $"{path}:Lookupd holds \"{address}\"; an nsqlookupd address is its HTTP address, e.g. \"http://127.0.0.1:4161\".";
        }

        foreach (var address in nsq.Nsqd.Where(static a => !NsqAddress.TryParse(a, out _)))
        {
            yield return $"{path}:Nsqd holds \"{address}\"; an nsqd address is {NsqAddress.Rule}.";
        }

        if (nsq.LookupdPollInterval < TimeSpan.FromSeconds(1))
        {
            yield return $"{path}:LookupdPollInterval is {nsq.LookupdPollInterval}; it must be at least 1 second, e.g. \"00:01:00\".";
        }

        if (nsq.ReconnectDelay <= TimeSpan.Zero || nsq.MaxReconnectDelay < nsq.ReconnectDelay)
        {
            yield return $"{path}:ReconnectDelay is {nsq.ReconnectDelay} with MaxReconnectDelay {nsq.MaxReconnectDelay}; it must be positive and at most MaxReconnectDelay.";
        }

        var client = new List<string>();
        NsqConsumerOptionsValidation.ValidateClient(nsq, path, client);
        foreach (var problem in client)
        {
            yield return problem;
        }
    }
}
