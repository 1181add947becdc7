namespace Tmq.Hosting;

/// <summary>
/// What a hosted consumer tells its health check. Written by the consumer's own threads, read by
/// the health check; every member is safe to read from any thread.
/// </summary>
internal sealed class ConsumerStatus(string name)
{
    private volatile string? _fault;
    private volatile bool _running;
    private volatile bool _stopped;
    private volatile bool _paused;
    private int _assigned;

    public string Name { get; } = name;

    /// <summary>The fetch loop is running.</summary>
    public bool Running
    {
        get => _running;
        set => _running = value;
    }

    /// <summary>A partition was halted by the Stop policy.</summary>
    public bool HasStoppedPartitions
    {
        get => _stopped;
        set => _stopped = value;
    }

    /// <summary>Fetching is paused by the Paused option.</summary>
    public bool Paused
    {
        get => _paused;
        set => _paused = value;
    }

    /// <summary>False for a transport without partitions (NSQ), whose health messages speak of its connections instead.</summary>
    public bool Partitioned { get; set; } = true;

    /// <summary>Partitions (Kafka) or connections (NSQ) held now.</summary>
    public int Assigned
    {
        get => Volatile.Read(ref _assigned);
        set => Volatile.Write(ref _assigned, value);
    }

    /// <summary>Counts a connection opened (+1) or closed (-1), atomically: for a transport whose connections come and go on their own threads (NSQ).</summary>
    public void AddAssigned(int delta) => Interlocked.Add(ref _assigned, delta);

    /// <summary>Where the consumer dead-letters (its DeadLetter:Topic, or &lt;topic&gt;.dlq), for the status report; set as it starts.</summary>
    public string? DeadLetterTopic { get; set; }

    /// <summary>Why the loop ended abnormally, if it did.</summary>
    public string? Fault
    {
        get => _fault;
        set => _fault = value;
    }
}
