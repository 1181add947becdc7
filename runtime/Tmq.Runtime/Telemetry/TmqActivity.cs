using System.Diagnostics;

namespace Tmq.Telemetry;

/// <summary>The <c>Tmq</c> activity source and W3C trace-context plumbing through message headers.</summary>
internal static class TmqActivity
{
    public const string SourceName = "Tmq";
    public const string TraceParentHeader = "traceparent";
    public const string TraceStateHeader = "tracestate";

    public static readonly ActivitySource Source = new(SourceName, typeof(TmqActivity).Assembly.GetName().Version?.ToString());

    /// <summary>Starts a consumer "process" span continuing the producer's trace, when anyone listens.</summary>
    public static Activity? StartProcess(TmqMessage message, string consumer, string? group)
    {
        if (!Source.HasListeners())
        {
            return null;
        }

        ActivityContext.TryParse(
            message.Headers.GetString(TraceParentHeader),
            message.Headers.GetString(TraceStateHeader),
            isRemote: true,
            out var parent);
        var activity = Source.StartActivity($"process {message.Topic}", ActivityKind.Consumer, parent);
        if (activity is { IsAllDataRequested: true })
        {
            activity.SetTag("messaging.operation.type", "process");
            activity.SetTag("messaging.destination.name", message.Topic);
            activity.SetTag("messaging.consumer.group.name", group);
            activity.SetTag("tmq.consumer", consumer);
            activity.SetTag("messaging.message.delivery_attempt", message.Attempt);
            if (message.MessageId is { } id)
            {
                activity.SetTag("messaging.message.id", id);
            }
            else
            {
                activity.SetTag("messaging.destination.partition.id", message.Partition);
                activity.SetTag("messaging.kafka.offset", message.Offset);
            }
        }

        return activity;
    }

    /// <summary>Starts a producer "send" span, when anyone listens; its context is what the message carries.</summary>
    public static Activity? StartSend(string topic, string system)
    {
        if (!Source.HasListeners())
        {
            return null;
        }

        var activity = Source.StartActivity($"send {topic}", ActivityKind.Producer);
        if (activity is { IsAllDataRequested: true })
        {
            activity.SetTag("messaging.system", system);
            activity.SetTag("messaging.operation.type", "send");
            activity.SetTag("messaging.destination.name", topic);
        }

        return activity;
    }

    /// <summary>Writes the current trace context into <paramref name="headers"/> unless the caller set one.</summary>
    public static void Inject(Activity? activity, TmqHeaders headers)
    {
        if (activity is null || headers.TryGetLast(TraceParentHeader, out _))
        {
            return;
        }

        headers.Add(TraceParentHeader, activity.Id!);
        if (!string.IsNullOrEmpty(activity.TraceStateString))
        {
            headers.Add(TraceStateHeader, activity.TraceStateString);
        }
    }
}
