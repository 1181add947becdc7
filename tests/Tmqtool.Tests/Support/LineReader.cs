using System.Diagnostics;

namespace Tmqtool.Tests.Support;

/// <summary>Collects a process's output lines and lets a test wait for one that matches.</summary>
internal sealed class LineReader
{
    private readonly List<string> _lines = [];
    private readonly Lock _gate = new();
    private readonly Process _process;
    private TaskCompletionSource _changed = new(TaskCreationOptions.RunContinuationsAsynchronously);

    internal LineReader(Process process)
    {
        _process = process;
        process.EnableRaisingEvents = true;
        process.Exited += (_, _) => Signal();
        process.OutputDataReceived += (_, e) => Add(e.Data);
        process.ErrorDataReceived += (_, e) => Add(e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
    }

    internal IReadOnlyList<string> Lines
    {
        get
        {
            lock (_gate)
            {
                return [.. _lines];
            }
        }
    }

    /// <summary>Waits until <paramref name="occurrence"/> lines satisfy <paramref name="match"/> and returns the last of them.</summary>
    internal async Task<string> WaitForAsync(Func<string, bool> match, TimeSpan timeout, int occurrence = 1)
    {
        using var cancel = new CancellationTokenSource(timeout);
        while (true)
        {
            Task changed;
            lock (_gate)
            {
                var seen = 0;
                foreach (var line in _lines)
                {
                    if (match(line) && ++seen == occurrence)
                    {
                        return line;
                    }
                }

                changed = _changed.Task;
            }

            // Output can arrive a moment after exit; past that, no line is coming.
            if (_process.HasExited && await Task.WhenAny(changed, Task.Delay(TimeSpan.FromSeconds(2))) != changed)
            {
                throw new InvalidOperationException($"The process exited with {_process.ExitCode} before a matching line. Output:\n{this}");
            }

            try
            {
                await changed.WaitAsync(cancel.Token);
            }
            catch (OperationCanceledException)
            {
                throw new TimeoutException($"No matching line within {timeout}. Output so far:\n{this}");
            }
        }
    }

    public override string ToString() => string.Join('\n', Lines);

    private void Add(string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (_gate)
        {
            _lines.Add(line);
        }

        Signal();
    }

    private void Signal()
    {
        TaskCompletionSource changed;
        lock (_gate)
        {
            changed = _changed;
            _changed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        }

        changed.SetResult();
    }
}
