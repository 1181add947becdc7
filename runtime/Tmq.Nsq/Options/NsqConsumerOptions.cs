namespace Tmq.Nsq;

/// <summary>
/// An NSQ consumer's settings, bound from <c>Tmq:Consumers:&lt;name&gt;</c>: the common
/// <see cref="ConsumerOptions"/>, the <see cref="Channel"/>, and an <c>Nsq</c> block.
/// </summary>
public sealed class NsqConsumerOptions : ConsumerOptions, ITransportOptionsValidation
{
    /// <summary>
    /// The channel: every channel of a topic gets every message, and the consumers of one channel
    /// share them. A name ending in <c>#ephemeral</c> is not kept by nsqd once its last consumer leaves.
    /// <value>Defaults to null, meaning the service name (<c>Tmq:Service</c>).</value>
    /// </summary>
    public string? Channel { get; set; }

    /// <summary>Where nsqd is and how the client talks to it.</summary>
    public NsqConsumerSettings Nsq { get; set; } = new();

    void ITransportOptionsValidation.Validate(string path, List<string> errors) => NsqConsumerOptionsValidation.Validate(this, path, errors);
}
