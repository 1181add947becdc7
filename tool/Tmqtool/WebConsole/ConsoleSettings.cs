using System.Net;

namespace Tmqtool.WebConsole;

/// <summary>How <c>tmqtool console</c> runs; every value validated.</summary>
/// <param name="Listen">The address served on: loopback unless told otherwise.</param>
/// <param name="Port">The port; 0 takes a free one.</param>
/// <param name="Token">Required of every request when set: always when <paramref name="Listen"/> is not loopback.</param>
/// <param name="StatusTopic">Where the services report (Tmq:Control:StatusTopic).</param>
/// <param name="ControlTopic">Where the pause and resume buttons write (Tmq:Control:Topic).</param>
/// <param name="Window">How far back the charts reach (and, on Kafka, how far back the reports are read at start).</param>
/// <param name="Timeout">How long to wait for the broker.</param>
internal sealed record ConsoleSettings(IPAddress Listen, int Port, string? Token, string StatusTopic, string ControlTopic, TimeSpan Window, TimeSpan Timeout)
{
    /// <summary>How often the charts take a point and the dead letters are counted.</summary>
    public TimeSpan Refresh { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>NSQ: how often the nsqd serving the status topic are looked up again.</summary>
    public TimeSpan Rediscover { get; init; } = TimeSpan.FromSeconds(30);
}
