namespace Tmq.Nsq.Consumer;

/// <summary>One nsqd the consumer reads from, across reconnects: its address, its current session and its RDY.</summary>
internal sealed class NsqdSlot(NsqAddress address, int id)
{
    private volatile NsqdSession? _session;
    private volatile bool _listed = true;
    private volatile TaskCompletionSource _unlisted = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public NsqAddress Address { get; } = address;

    /// <summary>A number of its own, for the engine and the logs.</summary>
    public int Id { get; } = id;

    /// <summary>The open session, or null while (re)connecting.</summary>
    public NsqdSession? Session
    {
        get => _session;
        set => _session = value;
    }

    /// <summary>
    /// Still configured, or still listed by a lookupd. An nsqd that no lookupd lists any more is not
    /// reconnected once its connection ends (nsqd leaves lookupd when it shuts down).
    /// </summary>
    public bool Listed
    {
        get => _listed;
        set
        {
            _listed = value;
            if (!value)
            {
                _unlisted.TrySetResult();
            }
            else if (_unlisted.Task.IsCompleted)
            {
                _unlisted = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            }
        }
    }

    /// <summary>Completes when <see cref="Listed"/> turns false: a reconnect wait ends early. Discovery is the only writer.</summary>
    public Task Unlisted => _unlisted.Task;

    /// <summary>Which of the Nsq:ConnectionsPerNsqd connections to this nsqd it is.</summary>
    public int Index { get; init; }

    /// <summary>Named in Nsq:Nsqd: consumed whatever lookupd says.</summary>
    public bool Configured { get; init; }

    /// <summary>The RDY last sent on the current session. Under the consumer's RDY lock.</summary>
    public long Ready { get; set; }

    /// <summary>Failed connection attempts since the last success, for the reconnect backoff.</summary>
    public int Failures { get; set; }

    /// <summary>The connect-read-reconnect loop.</summary>
    public Task Loop { get; set; } = Task.CompletedTask;

    public override string ToString() => Index == 0 ? Address.ToString() : $"{Address} (connection {Index + 1})";
}
