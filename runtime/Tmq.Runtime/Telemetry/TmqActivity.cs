using System.Diagnostics;

namespace Tmq.Telemetry;

/// <summary>The <c>Tmq</c> activity source and W3C trace-context plumbing through message headers.</summary>
internal static class TmqActivity
{
    public const string SourceName = "Tmq";
    public const string TraceParentHeader = "traceparent";
    public const string TraceStateHeader = "tracestate";

    public static readonly ActivitySource Source = new(SourceName, typeof(TmqActivity).Assembly.GetName().Version?.ToString());

    /// <summary>
    /// Starts a consumer "process" span continuing the producer's trace, when anyone listens: one
    /// for each delivery attempt, each a child of the context the message carries.
    /// </summary>
    public static Activity? StartProcess(TmqMessage message, string consumer, string? group, string? system)
    {
        if (!Source.HasListeners())
        {
            return null;
        }

        var activity = Source.StartActivity($"process {message.Topic}", ActivityKind.Consumer, Carried(message));
        if (activity is { IsAllDataRequested: true })
        {
            activity.SetTag("messaging.system", system);
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

    /// <summary>Marks a span whose work failed (an attempt, a dead-letter write): error status, <c>error.type</c> and the exception as an event.</summary>
    public static void RecordFailure(Activity? activity, Exception error)
    {
        if (activity is null)
        {
            return;
        }

        var type = error.GetType().FullName;
        activity.SetStatus(ActivityStatusCode.Error, type);
        if (activity.IsAllDataRequested)
        {
            activity.SetTag("error.type", type);
            activity.AddException(error);
        }
    }

    /// <summary>
    /// Starts the producer "send" span of a dead-letter write, when anyone listens: a child of the
    /// failed attempt's process span (<paramref name="failedAttempt"/>), or of the context the message
    /// carries when that attempt had no span (an unreadable message). The dead letter keeps the
    /// message's own <c>traceparent</c>, so a replay continues the trace from the original send.
    /// </summary>
    public static Activity? StartDeadLetter(DeadLetterRecord record, string? system, Activity? failedAttempt)
    {
        if (!Source.HasListeners())
        {
            return null;
        }

        var parent = failedAttempt?.Context ?? Carried(record.Message);
        var activity = Source.StartActivity($"send {record.Destination}", ActivityKind.Producer, parent);
        if (activity is { IsAllDataRequested: true })
        {
            activity.SetTag("messaging.system", system);
            activity.SetTag("messaging.operation.type", "send");
            activity.SetTag("messaging.destination.name", record.Destination);
            // Named like the tmq-dlq-* headers: messaging.consumer.group.name belongs to consumer spans.
            activity.SetTag("tmq.dead_letter.group", record.Group);
            activity.SetTag("tmq.dead_letter.original_topic", record.Message.Topic);
            activity.SetTag("tmq.dead_letter.attempts", record.Attempts);
            activity.SetTag("tmq.dead_letter.exception_type", record.Exception.GetType().FullName);
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

    /// <summary>The W3C trace context the message carries in its headers; default when it has none (or an invalid one).</summary>
    private static ActivityContext Carried(TmqMessage message)
    {
        ActivityContext.TryParse(
            message.Headers.GetString(TraceParentHeader),
            message.Headers.GetString(TraceStateHeader),
            isRemote: true,
            out var carried);
        return carried;
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
