using System.Diagnostics;
using System.Globalization;
using System.Reflection;

namespace Tmq.Chaos.Tests;

/// <summary>One run of the reliability worker (tests/Tmq.Chaos.Worker) as its own process, as production runs a service.</summary>
internal sealed class WorkerProcess : IDisposable
{
    private readonly Process _process;
    private readonly List<string> _output = [];

    private WorkerProcess(Process process)
    {
        _process = process;
        process.OutputDataReceived += (_, e) => Keep(e.Data);
        process.ErrorDataReceived += (_, e) => Keep(e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
    }

    public int Id => _process.Id;

    public bool HasExited => _process.HasExited;

    public int ExitCode => _process.ExitCode;

    /// <summary>When it exited (local time, as <see cref="Process.ExitTime"/>).</summary>
    public DateTime ExitTime => _process.ExitTime;

    /// <summary>What it printed so far, for failure messages.</summary>
    public string Output
    {
        get
        {
            lock (_output)
            {
                return string.Join('\n', _output);
            }
        }
    }

    public static WorkerProcess Start(string broker, string record, IReadOnlyDictionary<string, string> settings)
    {
        var directory = typeof(WorkerProcess).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>().Single(a => a.Key == "WorkerDirectory").Value!;
        var start = new ProcessStartInfo("dotnet", [Path.Combine(directory, "Tmq.Chaos.Worker.dll")])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.Environment["CHAOS_BROKER"] = broker;
        start.Environment["CHAOS_RECORD"] = record;
        start.Environment["DOTNET_ENVIRONMENT"] = "Production";
        start.Environment["Logging__LogLevel__Default"] = "Warning";
        foreach (var (name, value) in settings)
        {
            start.Environment[name] = value;
        }

        return new WorkerProcess(Process.Start(start)!);
    }

    /// <summary>SIGKILL: no shutdown, nothing finished or handed back.</summary>
    public async Task KillAsync()
    {
        _process.Kill();
        await _process.WaitForExitAsync();
    }

    /// <summary>SIGTERM, then waits for the graceful stop within <paramref name="limit"/>.</summary>
    public async Task StopAsync(TimeSpan limit)
    {
        await TerminateAsync();
        await WaitForExitAsync(limit);
    }

    /// <summary>SIGTERM without waiting: the graceful stop goes on while the caller does other things.</summary>
    public async Task TerminateAsync()
    {
        using var kill = Process.Start("kill", ["-TERM", _process.Id.ToString(CultureInfo.InvariantCulture)])!;
        await kill.WaitForExitAsync();
    }

    /// <summary>Waits for the process to exit; throws <see cref="OperationCanceledException"/> after <paramref name="limit"/>.</summary>
    public async Task WaitForExitAsync(TimeSpan limit)
    {
        using var exited = new CancellationTokenSource(limit);
        await _process.WaitForExitAsync(exited.Token);
    }

    public void Dispose()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
        }

        _process.Dispose();
    }

    private void Keep(string? line)
    {
        if (line is not null)
        {
            lock (_output)
            {
                // When the test received it: the worker's log lines carry no time of their own.
                _output.Add($"{DateTime.UtcNow:HH:mm:ss.fff} {line}");
            }
        }
    }
}
