using Confluent.Kafka;
using Microsoft.Extensions.Logging;

namespace Tmq.Kafka;

/// <summary>Maps librdkafka's syslog levels onto <see cref="LogLevel"/>, for every client we build.</summary>
internal static class LibrdkafkaLog
{
    public static LogLevel Level(SyslogLevel level) => level switch
    {
        SyslogLevel.Emergency or SyslogLevel.Alert or SyslogLevel.Critical => LogLevel.Critical,
        SyslogLevel.Error => LogLevel.Error,
        SyslogLevel.Warning => LogLevel.Warning,
        SyslogLevel.Notice or SyslogLevel.Info => LogLevel.Information,
        _ => LogLevel.Debug,
    };
}
