namespace Tmq.Kafka.Embedded;

/// <summary>
/// The librdkafka C functions the embedded broker calls, as unmanaged function pointers looked
/// up in the library Confluent.Kafka loaded (see <see cref="LibrdkafkaLibrary"/>).
/// </summary>
/// <remarks>
/// Function pointers rather than <c>[DllImport]</c>: an import would need a resolver on this
/// assembly to reach the right file, and an assembly can have only one resolver, which the
/// Kafka transport may want for itself. Signatures follow librdkafka's rdkafka.h and
/// rdkafka_mock.h; every <c>rd_kafka_resp_err_t</c> is a C enum, i.e. an <c>int</c>.
/// The varargs <c>rd_kafka_mock_push_request_errors</c> cannot be called this way, so the
/// <c>_array</c> form is used.
/// </remarks>
internal static unsafe class MockNative
{
    public const int ProducerType = 0;
    public const int ConfOk = 0;

    // rd_kafka_conf_t *rd_kafka_conf_new(void)
    public static readonly delegate* unmanaged[Cdecl]<IntPtr> ConfNew =
        (delegate* unmanaged[Cdecl]<IntPtr>)LibrdkafkaLibrary.Export("rd_kafka_conf_new");

    // rd_kafka_conf_res_t rd_kafka_conf_set(rd_kafka_conf_t *, const char *name, const char *value, char *errstr, size_t)
    public static readonly delegate* unmanaged[Cdecl]<IntPtr, byte*, byte*, byte*, nuint, int> ConfSet =
        (delegate* unmanaged[Cdecl]<IntPtr, byte*, byte*, byte*, nuint, int>)LibrdkafkaLibrary.Export("rd_kafka_conf_set");

    // void rd_kafka_conf_destroy(rd_kafka_conf_t *)
    public static readonly delegate* unmanaged[Cdecl]<IntPtr, void> ConfDestroy =
        (delegate* unmanaged[Cdecl]<IntPtr, void>)LibrdkafkaLibrary.Export("rd_kafka_conf_destroy");

    // rd_kafka_t *rd_kafka_new(rd_kafka_type_t, rd_kafka_conf_t *, char *errstr, size_t); owns conf on success only.
    public static readonly delegate* unmanaged[Cdecl]<int, IntPtr, byte*, nuint, IntPtr> New =
        (delegate* unmanaged[Cdecl]<int, IntPtr, byte*, nuint, IntPtr>)LibrdkafkaLibrary.Export("rd_kafka_new");

    // void rd_kafka_destroy(rd_kafka_t *)
    public static readonly delegate* unmanaged[Cdecl]<IntPtr, void> Destroy =
        (delegate* unmanaged[Cdecl]<IntPtr, void>)LibrdkafkaLibrary.Export("rd_kafka_destroy");

    // rd_kafka_mock_cluster_t *rd_kafka_mock_cluster_new(rd_kafka_t *, int broker_cnt)
    public static readonly delegate* unmanaged[Cdecl]<IntPtr, int, IntPtr> ClusterNew =
        (delegate* unmanaged[Cdecl]<IntPtr, int, IntPtr>)LibrdkafkaLibrary.Export("rd_kafka_mock_cluster_new");

    // void rd_kafka_mock_cluster_destroy(rd_kafka_mock_cluster_t *)
    public static readonly delegate* unmanaged[Cdecl]<IntPtr, void> ClusterDestroy =
        (delegate* unmanaged[Cdecl]<IntPtr, void>)LibrdkafkaLibrary.Export("rd_kafka_mock_cluster_destroy");

    // const char *rd_kafka_mock_cluster_bootstraps(const rd_kafka_mock_cluster_t *); owned by the cluster.
    public static readonly delegate* unmanaged[Cdecl]<IntPtr, byte*> ClusterBootstraps =
        (delegate* unmanaged[Cdecl]<IntPtr, byte*>)LibrdkafkaLibrary.Export("rd_kafka_mock_cluster_bootstraps");

    // rd_kafka_resp_err_t rd_kafka_mock_topic_create(rd_kafka_mock_cluster_t *, const char *topic, int partition_cnt, int replication_factor)
    public static readonly delegate* unmanaged[Cdecl]<IntPtr, byte*, int, int, int> TopicCreate =
        (delegate* unmanaged[Cdecl]<IntPtr, byte*, int, int, int>)LibrdkafkaLibrary.Export("rd_kafka_mock_topic_create");

    // rd_kafka_resp_err_t rd_kafka_mock_broker_set_down(rd_kafka_mock_cluster_t *, int32_t broker_id)
    public static readonly delegate* unmanaged[Cdecl]<IntPtr, int, int> BrokerSetDown =
        (delegate* unmanaged[Cdecl]<IntPtr, int, int>)LibrdkafkaLibrary.Export("rd_kafka_mock_broker_set_down");

    // rd_kafka_resp_err_t rd_kafka_mock_broker_set_up(rd_kafka_mock_cluster_t *, int32_t broker_id)
    public static readonly delegate* unmanaged[Cdecl]<IntPtr, int, int> BrokerSetUp =
        (delegate* unmanaged[Cdecl]<IntPtr, int, int>)LibrdkafkaLibrary.Export("rd_kafka_mock_broker_set_up");

    // rd_kafka_resp_err_t rd_kafka_mock_broker_set_rtt(rd_kafka_mock_cluster_t *, int32_t broker_id, int rtt_ms)
    public static readonly delegate* unmanaged[Cdecl]<IntPtr, int, int, int> BrokerSetRtt =
        (delegate* unmanaged[Cdecl]<IntPtr, int, int, int>)LibrdkafkaLibrary.Export("rd_kafka_mock_broker_set_rtt");

    // void rd_kafka_mock_push_request_errors_array(rd_kafka_mock_cluster_t *, int16_t ApiKey, size_t cnt, const rd_kafka_resp_err_t *errors)
    public static readonly delegate* unmanaged[Cdecl]<IntPtr, short, nuint, int*, void> PushRequestErrorsArray =
        (delegate* unmanaged[Cdecl]<IntPtr, short, nuint, int*, void>)LibrdkafkaLibrary.Export("rd_kafka_mock_push_request_errors_array");

    // void rd_kafka_mock_clear_request_errors(rd_kafka_mock_cluster_t *, int16_t ApiKey)
    public static readonly delegate* unmanaged[Cdecl]<IntPtr, short, void> ClearRequestErrors =
        (delegate* unmanaged[Cdecl]<IntPtr, short, void>)LibrdkafkaLibrary.Export("rd_kafka_mock_clear_request_errors");

    // void rd_kafka_mock_group_initial_rebalance_delay_ms(rd_kafka_mock_cluster_t *, int32_t delay_ms)
    public static readonly delegate* unmanaged[Cdecl]<IntPtr, int, void> GroupInitialRebalanceDelayMs =
        (delegate* unmanaged[Cdecl]<IntPtr, int, void>)LibrdkafkaLibrary.Export("rd_kafka_mock_group_initial_rebalance_delay_ms");

    // void rd_kafka_mock_set_group_consumer_session_timeout_ms(rd_kafka_mock_cluster_t *, int group_consumer_session_timeout_ms)
    public static readonly delegate* unmanaged[Cdecl]<IntPtr, int, void> SetGroupConsumerSessionTimeoutMs =
        (delegate* unmanaged[Cdecl]<IntPtr, int, void>)LibrdkafkaLibrary.Export("rd_kafka_mock_set_group_consumer_session_timeout_ms");

    // void rd_kafka_mock_set_group_consumer_heartbeat_interval_ms(rd_kafka_mock_cluster_t *, int group_consumer_heartbeat_interval_ms)
    public static readonly delegate* unmanaged[Cdecl]<IntPtr, int, void> SetGroupConsumerHeartbeatIntervalMs =
        (delegate* unmanaged[Cdecl]<IntPtr, int, void>)LibrdkafkaLibrary.Export("rd_kafka_mock_set_group_consumer_heartbeat_interval_ms");
}
