using System.ComponentModel.DataAnnotations;
using System.Runtime.ExceptionServices;
using System.Text.RegularExpressions;
using Confluent.Kafka;
using Tmq.Kafka.Embedded;

namespace Tmq.Kafka;

/// <summary>
/// An in-process Kafka cluster for development and tests: librdkafka's mock cluster, which ships
/// inside the librdkafka.redist package that Confluent.Kafka already brings. Clients connect to
/// <see cref="BootstrapServers"/> over real loopback TCP, as to any broker.
/// </summary>
/// <remarks>
/// <para>What the mock does not do like a real broker:</para>
/// <list type="bullet">
/// <item>Ports are random and change on every start; always read <see cref="BootstrapServers"/>.</item>
/// <item>Each partition keeps only about 5 MiB (and at most 100,000 batches); older data is
/// dropped silently, so the earliest offset moves. Do not use it for soak tests.</item>
/// <item>A producer's first use of a topic creates it with 4 partitions; call <see cref="CreateTopic"/>
/// first when the count matters. The CreateTopics admin API is not supported.</item>
/// <item>Classic consumer groups: a new group waits <see cref="EmbeddedKafkaBrokerOptions.GroupInitialRebalanceDelay"/>
/// before its first assignment, and every later rebalance waits <c>session.timeout.ms</c> − 1 s
/// for members to rejoin; commits are refused (REBALANCE_IN_PROGRESS) meanwhile. Tests should
/// give consumers a short <c>session.timeout.ms</c> (e.g. 6000) and <c>heartbeat.interval.ms</c>.
/// The leader is elected among all members, those that did not rejoin included: a killed member
/// can be elected until its session times out, and then no assignment comes (a group whose members
/// come and go every second or two may not complete a rebalance for as long as that goes on).</item>
/// <item>KIP-848 consumer groups (<c>group.protocol=consumer</c>): the broker sets the session timeout and
/// heartbeat interval, so tests that kill members set <see cref="EmbeddedKafkaBrokerOptions.ConsumerGroupSessionTimeout"/>
/// and <see cref="EmbeddedKafkaBrokerOptions.ConsumerGroupHeartbeatInterval"/> short instead.</item>
/// <item>Transactions and <c>read_committed</c> are only approximately faithful; do not rely on
/// them to prove exactly-once behaviour.</item>
/// <item>Every produce is answered with a log-append time of 1,234 ms, so a producer's delivery
/// report (<c>TmqDeliveryResult.Timestamp</c>) says 1970-01-01 00:00:01.234; the stored message keeps
/// the time it was sent, which consumers see.</item>
/// <item>Broker down/up closes connections and refuses new ones but does not move partition
/// leadership. While every broker is down, a call on this type may take up to 1 s: the mock's
/// thread can miss a wake-up, and this type nudges it through a broker's listener.</item>
/// </list>
/// <para>All members are thread-safe. <see cref="Dispose"/> is idempotent; a broker that is never
/// disposed is shut down by its finalizer instead of leaking native threads. Clients still
/// connected when it stops see their connections fail.</para>
/// </remarks>
public sealed partial class EmbeddedKafkaBroker : IDisposable
{
    /// <summary>Pass as a broker id to address every broker.</summary>
    public const int AllBrokers = -1;

    private readonly MockClusterHandle _cluster;

    private EmbeddedKafkaBroker(MockClusterHandle cluster, int brokers, string bootstrapServers)
    {
        _cluster = cluster;
        BrokerCount = brokers;
        BootstrapServers = bootstrapServers;
    }

    /// <summary>The <c>bootstrap.servers</c> list, e.g. <c>127.0.0.1:40235</c>.</summary>
    public string BootstrapServers { get; }

    /// <summary>The number of brokers; their ids are 1 to <see cref="BrokerCount"/>.</summary>
    public int BrokerCount { get; }

    /// <summary>Starts a cluster of <paramref name="brokers"/> brokers on loopback.</summary>
    /// <exception cref="DllNotFoundException">The native librdkafka could not be loaded.</exception>
    public static EmbeddedKafkaBroker Start(int brokers = 1) => Start(new EmbeddedKafkaBrokerOptions { Brokers = brokers });

    /// <summary>Starts a cluster as <paramref name="options"/> describe.</summary>
    /// <exception cref="ValidationException">An option is out of range.</exception>
    /// <exception cref="DllNotFoundException">The native librdkafka could not be loaded.</exception>
    public static unsafe EmbeddedKafkaBroker Start(EmbeddedKafkaBrokerOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        Validator.ValidateObject(options, new ValidationContext(options), validateAllProperties: true);
        var delay = options.GroupInitialRebalanceDelay;
        if (delay < TimeSpan.Zero || delay > TimeSpan.FromMinutes(5))
        {
            throw new ValidationException(
                $"EmbeddedKafkaBrokerOptions.GroupInitialRebalanceDelay is {delay}; it must be between zero and 5 minutes.");
        }

        RequirePositive(nameof(options.ConsumerGroupSessionTimeout), options.ConsumerGroupSessionTimeout);
        RequirePositive(nameof(options.ConsumerGroupHeartbeatInterval), options.ConsumerGroupHeartbeatInterval);

        MockClusterHandle cluster;
        try
        {
            cluster = MockClusterHandle.Create(options.Brokers);
        }
        catch (TypeInitializationException ex) when (ex.InnerException is { } inner)
        {
            // The function table failed to bind; its own exception is the one that explains why.
            if (inner is DllNotFoundException or EntryPointNotFoundException)
            {
                ExceptionDispatchInfo.Throw(inner);
            }

            throw;
        }

        try
        {
            var bootstraps = cluster.Use(c => MockClusterHandle.Utf8(MockNative.ClusterBootstraps(c)));
            cluster.Use(c =>
            {
                MockNative.GroupInitialRebalanceDelayMs(c, (int)delay.TotalMilliseconds);
                if (options.ConsumerGroupSessionTimeout is { } session)
                {
                    MockNative.SetGroupConsumerSessionTimeoutMs(c, (int)session.TotalMilliseconds);
                }

                if (options.ConsumerGroupHeartbeatInterval is { } heartbeat)
                {
                    MockNative.SetGroupConsumerHeartbeatIntervalMs(c, (int)heartbeat.TotalMilliseconds);
                }

                return 0;
            });
            return new EmbeddedKafkaBroker(cluster, options.Brokers, bootstraps);
        }
        catch
        {
            cluster.Dispose();
            throw;
        }
    }

    private static void RequirePositive(string option, TimeSpan? value)
    {
        if (value is { } time && (time < TimeSpan.FromMilliseconds(1) || time > TimeSpan.FromMinutes(5)))
        {
            throw new ValidationException(
                $"EmbeddedKafkaBrokerOptions.{option} is {time}; it must be between 1 ms and 5 minutes, or null for librdkafka's default.");
        }
    }

    /// <summary>Creates a topic with <paramref name="partitions"/> partitions.</summary>
    /// <exception cref="ArgumentException">The name is not a valid Kafka topic name, or a count is out of range.</exception>
    /// <exception cref="InvalidOperationException">The topic exists already.</exception>
    /// <exception cref="ObjectDisposedException">The broker has been disposed.</exception>
    public unsafe void CreateTopic(string topic, int partitions, int replicationFactor = 1)
    {
        ArgumentNullException.ThrowIfNull(topic);
        if (!TopicName().IsMatch(topic))
        {
            throw new ArgumentException(
                $"'{topic}' is not a valid Kafka topic name: use 1 to 249 of the characters a-z, A-Z, 0-9, '.', '_' and '-'.", nameof(topic));
        }

        ArgumentOutOfRangeException.ThrowIfLessThan(partitions, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(replicationFactor, 1);
        if (replicationFactor > BrokerCount)
        {
            throw new ArgumentOutOfRangeException(
                nameof(replicationFactor), replicationFactor, $"The replication factor cannot exceed the broker count ({BrokerCount}).");
        }

        var name = MockClusterHandle.Utf8Z(topic);
        var err = _cluster.Use(c =>
        {
            fixed (byte* p = name)
            {
                return MockNative.TopicCreate(c, p, partitions, replicationFactor);
            }
        });
        ThrowIfError(err, $"create topic '{topic}'");
    }

    /// <summary>
    /// Closes the broker's connections and refuses new ones until <see cref="SetBrokerUp"/>.
    /// Partition leadership does not move: requests for partitions it leads stall and retry.
    /// </summary>
    /// <param name="brokerId">1 to <see cref="BrokerCount"/>, or <see cref="AllBrokers"/>.</param>
    public unsafe void SetBrokerDown(int brokerId)
    {
        CheckBrokerId(brokerId);
        ThrowIfError(_cluster.Use(c => MockNative.BrokerSetDown(c, brokerId)), $"set broker {brokerId} down");
    }

    /// <summary>Makes the broker accept connections again on the same port.</summary>
    /// <param name="brokerId">1 to <see cref="BrokerCount"/>, or <see cref="AllBrokers"/>.</param>
    public unsafe void SetBrokerUp(int brokerId)
    {
        CheckBrokerId(brokerId);
        ThrowIfError(_cluster.Use(c => MockNative.BrokerSetUp(c, brokerId)), $"set broker {brokerId} up");
    }

    /// <summary>Delays every response of the broker by <paramref name="roundTrip"/> (zero to restore).</summary>
    /// <param name="brokerId">1 to <see cref="BrokerCount"/>, or <see cref="AllBrokers"/>.</param>
    /// <param name="roundTrip">The added delay, whole milliseconds.</param>
    public unsafe void SetBrokerLatency(int brokerId, TimeSpan roundTrip)
    {
        CheckBrokerId(brokerId);
        ArgumentOutOfRangeException.ThrowIfLessThan(roundTrip, TimeSpan.Zero);
        var ms = (int)Math.Min(int.MaxValue, roundTrip.TotalMilliseconds);
        ThrowIfError(_cluster.Use(c => MockNative.BrokerSetRtt(c, brokerId, ms)), $"set the latency of broker {brokerId}");
    }

    /// <summary>
    /// Makes the next <c>errors.Length</c> requests of type <paramref name="api"/>, on any broker,
    /// fail with these errors in order. <see cref="ErrorCode.Local_Transport"/> makes the broker
    /// drop the connection instead of answering.
    /// </summary>
    /// <remarks>
    /// One request carries a whole batch: a failed Produce request fails (or, for a retriable
    /// error, retries) every message in it. The client decides what is retriable, e.g.
    /// <see cref="ErrorCode.NotEnoughReplicas"/> is retried and
    /// <see cref="ErrorCode.MsgSizeTooLarge"/> is not.
    /// </remarks>
    public unsafe void PushRequestErrors(KafkaApiKey api, params ErrorCode[] errors)
    {
        ArgumentNullException.ThrowIfNull(errors);
        if (errors.Length == 0)
        {
            return;
        }

        var codes = Array.ConvertAll(errors, e => (int)e);
        _cluster.Use(c =>
        {
            fixed (int* p = codes)
            {
                MockNative.PushRequestErrorsArray(c, (short)api, (nuint)codes.Length, p);
            }

            return 0;
        });
    }

    /// <summary>Discards errors pushed with <see cref="PushRequestErrors"/> for <paramref name="api"/> that were not used yet.</summary>
    public unsafe void ClearRequestErrors(KafkaApiKey api) =>
        _cluster.Use(c =>
        {
            MockNative.ClearRequestErrors(c, (short)api);
            return 0;
        });

    /// <summary>Stops the brokers and frees the native cluster. Safe to call more than once.</summary>
    public void Dispose() => _cluster.Dispose();

    private void CheckBrokerId(int brokerId)
    {
        if (brokerId != AllBrokers && (brokerId < 1 || brokerId > BrokerCount))
        {
            throw new ArgumentOutOfRangeException(
                nameof(brokerId), brokerId, $"Broker ids run from 1 to {BrokerCount}; use {nameof(AllBrokers)} ({AllBrokers}) for every broker.");
        }
    }

    private static void ThrowIfError(int err, string action)
    {
        if (err != 0)
        {
            var code = (ErrorCode)err;
            throw new InvalidOperationException($"The embedded broker could not {action}: {code} ({new Error(code).Reason}).");
        }
    }

    [GeneratedRegex("^[a-zA-Z0-9._-]{1,249}$")]
    private static partial Regex TopicName();
}
