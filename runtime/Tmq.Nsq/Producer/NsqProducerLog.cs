using Microsoft.Extensions.Logging;

namespace Tmq.Nsq;

/// <summary>Log events of the NSQ producer (event ids 3201-3299, stable).</summary>
internal static partial class NsqProducerLog
{
    [LoggerMessage(3201, LogLevel.Warning, "NSQ producer: publishing to {Topic} failed on {Nsqd} ({Reason}); trying the next nsqd.")]
    public static partial void FailingOver(ILogger logger, string topic, string nsqd, string reason);
}
