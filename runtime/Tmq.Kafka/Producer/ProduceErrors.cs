using Confluent.Kafka;

namespace Tmq.Kafka;

/// <summary>Maps Confluent.Kafka delivery failures to <see cref="TmqProduceException"/> with advice.</summary>
internal static class ProduceErrors
{
    // Errors after which the same send may succeed later: the broker or leader was unavailable,
    // or the request timed out. Everything else (size, authorization, bad topic...) will fail again.
    private static readonly HashSet<ErrorCode> s_transient =
    [
        ErrorCode.Local_MsgTimedOut, ErrorCode.Local_TimedOut, ErrorCode.Local_Transport,
        ErrorCode.Local_AllBrokersDown, ErrorCode.Local_QueueFull, ErrorCode.Local_TimedOutQueue,
        ErrorCode.RequestTimedOut, ErrorCode.NetworkException, ErrorCode.BrokerNotAvailable,
        ErrorCode.LeaderNotAvailable, ErrorCode.NotLeaderForPartition, ErrorCode.NotEnoughReplicas,
        ErrorCode.NotEnoughReplicasAfterAppend, ErrorCode.NotCoordinatorForGroup, ErrorCode.KafkaStorageError,
        ErrorCode.FencedLeaderEpoch, ErrorCode.UnknownLeaderEpoch,
    ];

    public static TmqProduceException Map(string topic, Error error, PersistenceStatus? status, TimeSpan deliveryTimeout, Exception inner)
    {
        var transient = s_transient.Contains(error.Code);
        var mayBeWritten = status is PersistenceStatus.PossiblyPersisted or PersistenceStatus.Persisted;
        var message = $"Kafka did not acknowledge the message for topic '{topic}': {error.Reason} ({error.Code}). "
            + Advice(error.Code, deliveryTimeout, transient)
            + (mayBeWritten ? " The broker may have stored it anyway, so sending it again may duplicate it." : string.Empty);
        return new TmqProduceException(message, topic, error.Code.ToString(), transient, mayBeWritten, inner);
    }

    public static TmqProduceException Abandoned(string topic, TimeSpan flushTimeout, Exception inner) => new(
        $"The producer was disposed before Kafka acknowledged the message for topic '{topic}' (it waited Tmq:Producer:FlushTimeout, {flushTimeout}). "
        + "The message may or may not have been written; send it again from a live producer if it must arrive.",
        topic, "Disposed", isTransient: true, mayHaveBeenWritten: true, inner);

    private static string Advice(ErrorCode code, TimeSpan deliveryTimeout, bool transient) => code switch
    {
        ErrorCode.Local_MsgTimedOut =>
            $"It was not acknowledged within Tmq:Producer:DeliveryTimeout ({deliveryTimeout}); check that the brokers are reachable and the partition has a leader.",
        ErrorCode.MsgSizeTooLarge =>
            "The message is larger than the broker's message.max.bytes (or the client's message.max.bytes); make it smaller or raise both limits.",
        ErrorCode.UnknownTopicOrPart or ErrorCode.Local_UnknownTopic or ErrorCode.Local_UnknownPartition =>
            "The topic does not exist and the broker does not create topics automatically; create it first.",
        ErrorCode.TopicAuthorizationFailed or ErrorCode.ClusterAuthorizationFailed or ErrorCode.TransactionalIdAuthorizationFailed =>
            "The client is not allowed to write there; grant the service's principal WRITE on the topic (and IDEMPOTENT_WRITE on the cluster for older brokers).",
        _ when transient => "The broker was unavailable; sending again later may succeed.",
        _ => "Sending it again unchanged will fail the same way.",
    };
}
