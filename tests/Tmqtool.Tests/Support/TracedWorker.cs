using System.Globalization;
using System.Security.Cryptography;

namespace Tmqtool.Tests.Support;

/// <summary>
/// A generated worker that exports its traces to an <see cref="OtlpReceiver"/>, on either broker,
/// and what its export must hold for a message that fails every attempt.
/// </summary>
internal static class TracedWorker
{
    /// <summary>Retry:MaxAttempts of the worker: enough to show retries, few to keep the tests short.</summary>
    public const int Attempts = 3;

    /// <summary>The worker's settings on top of its appsettings.json: OTLP/HTTP export to <paramref name="receiver"/> every 200 ms, <see cref="Attempts"/> attempts 50 ms apart.</summary>
    public static (string Name, string Value)[] WorkerSettings(OtlpReceiver receiver) =>
    [
        ("OTEL_EXPORTER_OTLP_ENDPOINT", receiver.Endpoint),
        ("OTEL_EXPORTER_OTLP_PROTOCOL", "http/protobuf"),
        ("OTEL_BSP_SCHEDULE_DELAY", "200"),
        ("Tmq__Consumers__main__Retry__MaxAttempts", Attempts.ToString(CultureInfo.InvariantCulture)),
        ("Tmq__Consumers__main__Retry__InitialDelay", "00:00:00.050"),
    ];

    /// <summary>A random trace id and the span id of its sender, lower-case hex as a traceparent writes them.</summary>
    public static (string TraceId, string SpanId) NewContext() =>
        (Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16)), Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(8)));

    /// <summary>
    /// Whether <paramref name="spans"/> hold <paramref name="rounds"/> rounds of a message that
    /// failed all its attempts: a process span each, then the dead-letter write's send span.
    /// </summary>
    public static bool HasDeadLetterRounds(List<OtlpSpan> spans, int rounds) =>
        spans.Count(static s => s.Kind == OtlpSpanKind.Consumer) >= Attempts * rounds
        && spans.Count(static s => s.Kind == OtlpSpanKind.Producer) >= rounds;

    /// <summary>
    /// Asserts the trace of a message sent into <paramref name="topic"/> with the traceparent of span
    /// <paramref name="sentFrom"/>, failing every attempt, dead-lettered, replayed (keeping its
    /// traceparent) and dead-lettered again: in time order, a process span per attempt
    /// (delivery_attempt 1, 2, ...), each a child of the send, each an error with the exception
    /// recorded; then the dead-letter write, a child of the last attempt; the same again after the replay.
    /// </summary>
    public static void AssertRetriedDeadLetteredReplayedAndDeadLetteredAgain(List<OtlpSpan> spans, string topic, string system, string sentFrom)
    {
        var round = Enumerable.Range(1, Attempts).Select(a => $"process {topic} attempt {a}").Append($"send {topic}.dlq").ToList();
        Assert.Equal([.. round, .. round], spans.Select(Describe));
        foreach (var span in spans)
        {
            Assert.Equal(system, span.Attribute("messaging.system"));
            if (span.Kind == OtlpSpanKind.Consumer)
            {
                Assert.True(span.ParentSpanId == sentFrom, $"{span} is not a child of the send, {sentFrom}.");
                Assert.Equal(topic, span.Attribute("messaging.destination.name"));
                Assert.Equal(OtlpStatusCode.Error, span.Status);
                Assert.Equal("System.InvalidOperationException", span.Attribute("error.type"));
                Assert.Contains(span.Events, e => e.Name == "exception" && e.Attributes.GetValueOrDefault("exception.type") as string == "System.InvalidOperationException");
            }
        }

        for (var send = Attempts; send < spans.Count; send += Attempts + 1)
        {
            var write = spans[send];
            Assert.True(write.ParentSpanId == spans[send - 1].SpanId, $"{write} is not a child of the last attempt, {spans[send - 1]}.");
            Assert.Equal(topic + ".dlq", write.Attribute("messaging.destination.name"));
            Assert.Equal(topic, write.Attribute("tmq.dead_letter.original_topic"));
            Assert.Equal(GeneratedService.Psm, write.Attribute("tmq.dead_letter.group"));
            Assert.Equal((long)Attempts, write.Attribute("tmq.dead_letter.attempts"));
            Assert.Equal("System.InvalidOperationException", write.Attribute("tmq.dead_letter.exception_type"));
            Assert.Equal(OtlpStatusCode.Unset, write.Status);
        }
    }

    private static string Describe(OtlpSpan span) => span.Kind switch
    {
        OtlpSpanKind.Consumer => $"{span.Name} attempt {span.Attribute("messaging.message.delivery_attempt")}",
        OtlpSpanKind.Producer => span.Name,
        _ => $"{span.Name} ({span.Kind})",
    };
}
