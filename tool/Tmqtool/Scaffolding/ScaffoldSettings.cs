using Tmqtool.Packaging;

namespace Tmqtool.Scaffolding;

/// <summary>The message queue a generated service consumes.</summary>
internal enum MqType
{
    Kafka,
    Nsq,
}

/// <summary>Everything <c>tmqtool new</c> needs, validated and with defaults applied.</summary>
/// <param name="MqType">Kafka or NSQ.</param>
/// <param name="Psm">The service name (Tmq:Service).</param>
/// <param name="Topic">The topic to consume.</param>
/// <param name="Group">The Kafka consumer group or NSQ channel.</param>
/// <param name="Name">The project name and root namespace.</param>
/// <param name="OutputDirectory">Absolute path of the folder to generate into.</param>
/// <param name="DeadLetterTopic">
/// The dead-letter topic written into appsettings.json, or null to leave the runtime's default
/// ("&lt;topic&gt;.dlq"), which is right except for an NSQ "#ephemeral" topic.
/// </param>
/// <param name="Feed">Where the generated project restores the Tmq packages from.</param>
/// <param name="Versions">Package versions the generated project references.</param>
/// <param name="RepositoryUrl">The service's repository (<c>--pre</c>) as an https URL, or null.</param>
internal sealed record ScaffoldSettings(
    MqType MqType,
    string Psm,
    string Topic,
    string Group,
    string Name,
    string OutputDirectory,
    string? DeadLetterTopic,
    PackageFeed Feed,
    PackageVersions Versions,
    string? RepositoryUrl = null)
{
    /// <summary>The dead-letter topic the service will use.</summary>
    internal string EffectiveDeadLetterTopic => DeadLetterTopic ?? Topic + ".dlq";
}
