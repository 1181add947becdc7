using System.Diagnostics;
using System.Globalization;
using System.Text;

namespace Tmq.Chaos.Tests;

/// <summary>
/// Worker processes in slots, started, stopped with SIGTERM and killed with SIGKILL at random, with
/// a log of what was done when. A slot is free again as soon as its worker was signalled; a stopping
/// worker finishes its graceful stop on the side and must exit with 0 within <see cref="GracefulStopLimit"/>.
/// At least one worker is running at any time.
/// </summary>
internal sealed class WorkerStorm(Random random, string record, IReadOnlyDictionary<string, string> settings) : IDisposable
{
    public const int Slots = 4;
    public const string Killed = "SIGKILL";
    public const string Stopped = "SIGTERM";
    public const string Rebalanced = "rebalance";
    public const string MovedBeforeSignal = "of them, partition moved before its worker was signalled";
    private static readonly TimeSpan GracefulStopLimit = TimeSpan.FromSeconds(30);

    private readonly WorkerProcess?[] _slots = new WorkerProcess?[Slots];
    private readonly List<(WorkerProcess Worker, TimeSpan Since, DateTime SignalledAt)> _stopping = [];
    private readonly List<WorkerProcess> _all = [];

    // Each signalled worker: how, and the record's length at that moment (what it had handled by then).
    private readonly Dictionary<int, (string Signal, long RecordLength)> _signalled = [];
    private readonly StringBuilder _events = new();
    private readonly List<string> _failures = [];
    private readonly HashSet<int> _traced = [];

    public Stopwatch Clock { get; } = Stopwatch.StartNew();

    public Random Random => random;

    public int Starts { get; private set; }

    public int Terms { get; private set; }

    public int Kills { get; private set; }

    public int Running => _slots.Count(static w => w is not null);

    /// <summary>What went wrong so far (a worker that exited on its own, a graceful stop that failed or hung), or null.</summary>
    public string? Failure => _failures.Count == 0 ? null : string.Join("\n\n", _failures);

    public string Events => _events.ToString();

    /// <summary>What the workers that are still running or stopping printed.</summary>
    public string Output => string.Join("\n", _slots.OfType<WorkerProcess>().Concat(_stopping.Select(static s => s.Worker)).Select(static w => $"--- worker {w.Id}:\n{w.Output}"));

    public void Start(int slot)
    {
        var worker = WorkerProcess.Start("kafka", record, settings);
        _slots[slot] = worker;
        _all.Add(worker);
        Starts++;
        Note($"start slot {slot}: pid {worker.Id}");
    }

    /// <summary>One random action: start a free slot, or (while two or more run) SIGTERM or SIGKILL a running worker.</summary>
    public async Task ActAsync()
    {
        var free = Enumerable.Range(0, Slots).Where(s => _slots[s] is null).ToList();
        var running = Enumerable.Range(0, Slots).Where(s => _slots[s] is not null).ToList();
        var actions = new List<string>();
        if (free.Count > 0)
        {
            actions.Add("start");
        }

        if (running.Count >= 2)
        {
            actions.Add(Stopped);
            actions.Add(Killed);
        }

        var action = actions[random.Next(actions.Count)];
        if (action == "start")
        {
            Start(free[random.Next(free.Count)]);
            return;
        }

        var slot = running[random.Next(running.Count)];
        var worker = _slots[slot]!;
        _slots[slot] = null;
        _signalled[worker.Id] = (action, RecordLength());
        if (action == Killed)
        {
            await worker.KillAsync();
            Kills++;
        }
        else
        {
            await worker.TerminateAsync();
            _stopping.Add((worker, Clock.Elapsed, DateTime.Now));
            Terms++;
        }

        Note($"{action} slot {slot}: pid {worker.Id}");
    }

    /// <summary>Notes failures: a running worker that exited, a stopped one that exited with an error or did not exit in time.</summary>
    public void Check()
    {
        for (var slot = 0; slot < Slots; slot++)
        {
            if (_slots[slot] is { HasExited: true } worker)
            {
                _failures.Add($"worker {worker.Id} in slot {slot} exited ({worker.ExitCode}) unasked:\n{worker.Output}");
                _slots[slot] = null;
            }
        }

        foreach (var (worker, since, signalledAt) in _stopping.ToList())
        {
            if (worker.HasExited)
            {
                _stopping.RemoveAll(s => s.Worker == worker);
                var took = worker.ExitTime - signalledAt;
                Note($"pid {worker.Id} stopped ({worker.ExitCode}) {took.TotalSeconds:F1} s after SIGTERM");
                if (took >= GracefulStopLimit)
                {
                    // The host's own shutdown timeout (30 s) let it exit: its consumer did not stop.
                    _failures.Add($"worker {worker.Id} took {took.TotalSeconds:F1} s to stop after SIGTERM:\n{worker.Output}");
                }

                // 143 is SIGTERM's default action: the signal came before the host set up its
                // handler, which it does before any consumer starts, so the worker held nothing.
                if (worker.ExitCode == 143 && !HandledMessages.Read(record).HandledBy(worker.Id).Any())
                {
                    Note($"pid {worker.Id} had not started its host yet");
                }
                else if (worker.ExitCode != 0)
                {
                    _failures.Add($"worker {worker.Id} exited with {worker.ExitCode} on SIGTERM:\n{worker.Output}");
                }
            }
            else if (Clock.Elapsed - since > GracefulStopLimit)
            {
                _stopping.RemoveAll(s => s.Worker == worker);
                _failures.Add($"worker {worker.Id} did not stop within {GracefulStopLimit.TotalSeconds} s of SIGTERM:\n{worker.Output}");
            }
            else if (Clock.Elapsed - since > GracefulStopLimit / 2 && _traced.Add(worker.Id))
            {
                // Well past a normal stop (drain, commit and leave take seconds), before the host gives up.
                Backtrace(worker);
            }
        }
    }

    /// <summary>SIGTERM to every running worker; waits for them and for those still stopping.</summary>
    public async Task StopAllAsync()
    {
        for (var slot = 0; slot < Slots; slot++)
        {
            if (_slots[slot] is { } worker)
            {
                _signalled[worker.Id] = (Stopped, RecordLength());
                await worker.TerminateAsync();
                _stopping.Add((worker, Clock.Elapsed, DateTime.Now));
                _slots[slot] = null;
                Note($"{Stopped} after the drain, slot {slot}: pid {worker.Id}");
            }
        }

        foreach (var (worker, since, _) in _stopping.ToList())
        {
            var left = GracefulStopLimit - (Clock.Elapsed - since);
            try
            {
                await worker.WaitForExitAsync(left > TimeSpan.Zero ? left : TimeSpan.Zero);
            }
            catch (OperationCanceledException)
            {
                // Check says so.
            }
        }

        Check();
    }

    /// <summary>
    /// The duplicates by cause: <see cref="Killed"/> or <see cref="Stopped"/> when the message was
    /// handled again after the process that first handled it was signalled while it still held the
    /// message's partition; <see cref="Rebalanced"/> when that process was still running, or had
    /// lost the partition to another worker before it was signalled (<see cref="MovedBeforeSignal"/>
    /// counts those among them): what a signal ends is only what the process still held.
    /// </summary>
    public IReadOnlyDictionary<string, int> DuplicatesByCause(HandledMessages handled)
    {
        var causes = new Dictionary<string, int> { [Killed] = 0, [Stopped] = 0, [Rebalanced] = 0, [MovedBeforeSignal] = 0 };
        foreach (var (process, key, at) in handled.DuplicateHandlings())
        {
            if (!_signalled.TryGetValue(process, out var signal) || at < signal.RecordLength)
            {
                causes[Rebalanced]++;
            }
            else if (handled.LastHandlerOf(key, signal.RecordLength) != process)
            {
                causes[Rebalanced]++;
                causes[MovedBeforeSignal]++;
            }
            else
            {
                causes[signal.Signal]++;
            }
        }

        return causes;
    }

    /// <summary>How many messages each worker handled, in the order they were started.</summary>
    public string DescribeHandlings(HandledMessages handled) => string.Join(", ", _all.Select(w => $"{w.Id} {handled.HandledBy(w.Id).Count()}"));

    /// <summary>With CHAOS_LOGS, the native stacks of a worker that hangs (gdb), to see where it waits.</summary>
    private static void Backtrace(WorkerProcess worker)
    {
        var logs = Environment.GetEnvironmentVariable("CHAOS_LOGS");
        if (string.IsNullOrEmpty(logs))
        {
            return;
        }

        var gdb = Process.Start(new ProcessStartInfo("gdb", ["-p", worker.Id.ToString(CultureInfo.InvariantCulture), "-batch", "-ex", "thread apply all bt"])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        })!;
        var stacks = gdb.StandardOutput.ReadToEnd();
        gdb.WaitForExit();
        File.WriteAllText(Path.Combine(logs, $"{worker.Id}.stacks.txt"), stacks);
    }

    private long RecordLength() => File.Exists(record) ? new FileInfo(record).Length : 0;

    public void Note(string what) => _events.AppendLine(CultureInfo.InvariantCulture, $"t+{Clock.Elapsed.TotalSeconds:F1} s: {what}");

    public void Dispose()
    {
        // CHAOS_LOGS (a folder) keeps what every worker printed, for a storm that needs explaining.
        var logs = Environment.GetEnvironmentVariable("CHAOS_LOGS");
        foreach (var worker in _all)
        {
            if (!string.IsNullOrEmpty(logs))
            {
                File.WriteAllText(Path.Combine(logs, $"{worker.Id}.log"), worker.Output);
            }

            worker.Dispose();
        }
    }
}
