namespace Tmqtool.WebConsole;

/// <summary>What a button did: whether it worked, and the verb's own words.</summary>
internal sealed record ConsoleActionResult(bool Ok, string Message);

/// <summary>The broker side of the console: Kafka through the helper, NSQ in the tool.</summary>
internal interface IConsoleBroker
{
    /// <summary>For the page's header: "Kafka 127.0.0.1:9092", "NSQ nsqlookupd http://...".</summary>
    string Describe { get; }

    /// <summary>Feeds <paramref name="state"/> with status reports and dead-letter counts until <paramref name="stop"/>; survives a broker that comes and goes.</summary>
    Task FollowAsync(ConsoleState state, CancellationToken stop);

    /// <summary>Pauses (or resumes) one consumer of a service on every instance, as <c>tmqtool pause|resume --consumer</c> does.</summary>
    Task<ConsoleActionResult> PauseAsync(string service, string consumer, bool paused, CancellationToken stop);

    /// <summary>Replays a dead-letter topic to the topics its messages failed on, as <c>tmqtool dlq replay</c> does.</summary>
    Task<ConsoleActionResult> ReplayAsync(string deadLetterTopic, CancellationToken stop);
}
