using System.Text;

namespace Tmqtool.Tests.Support;

/// <summary>
/// tmqtool run in-process on a thread of its own, for a verb that runs until it is stopped
/// (<c>dev nsq</c>, <c>tail</c>): a test waits for a line of its output while it runs, then stops it
/// through <see cref="CliEnvironment.Stop"/>.
/// </summary>
internal sealed class BackgroundCli : IDisposable
{
    /// <summary>How long a verb gets to print a line or to end; past it the test fails (and the verb is stopped).</summary>
    internal static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);

    private readonly CancellationTokenSource _stop = new();
    private readonly WatchedWriter _output = new();
    private readonly WatchedWriter _error = new();

    private BackgroundCli(string[] args)
    {
        var environment = new CliEnvironment(AppContext.BaseDirectory, TestCli.Versions, BundledFeedDirectory: null) { Stop = _stop.Token };
        Completion = Task.Run(() =>
        {
            var exitCode = Cli.Run(args, _output, _error, environment);
            return new CliResult(exitCode, _output.ToString(), _error.ToString());
        });
    }

    /// <summary>The run's result, once it has ended.</summary>
    internal Task<CliResult> Completion { get; }

    internal static BackgroundCli Start(params string[] args) => new(args);

    /// <summary>The first line of standard output that starts with <paramref name="prefix"/>, once it is printed.</summary>
    internal Task<string> OutputLineAsync(string prefix) => LineAsync(_output, prefix);

    /// <summary>The first line of standard error that starts with <paramref name="prefix"/>, once it is printed.</summary>
    internal Task<string> ErrorLineAsync(string prefix) => LineAsync(_error, prefix);

    /// <summary>Stops the verb as Ctrl+C would, and returns how it ended.</summary>
    internal Task<CliResult> StopAsync()
    {
        _stop.Cancel();
        return EndAsync();
    }

    /// <summary>Waits for the verb to end on its own.</summary>
    internal async Task<CliResult> EndAsync()
    {
        try
        {
            return await Completion.WaitAsync(Timeout);
        }
        catch (TimeoutException)
        {
            _stop.Cancel();
            Assert.Fail($"tmqtool did not end within {Timeout}. Output so far:\n{_output}\n--- stderr\n{_error}");
            throw;
        }
    }

    public void Dispose()
    {
        // A test that failed half-way leaves no verb running behind it.
        _stop.Cancel();
        _stop.Dispose();
    }

    private async Task<string> LineAsync(WatchedWriter writer, string prefix)
    {
        using var deadline = new CancellationTokenSource(Timeout);
        while (true)
        {
            var (lines, changed) = writer.Snapshot();
            if (lines.FirstOrDefault(l => l.StartsWith(prefix, StringComparison.Ordinal)) is { } line)
            {
                return line;
            }

            if (Completion.IsCompleted)
            {
                Assert.Fail($"tmqtool ended without printing a line starting with \"{prefix}\": {Completion.Result}");
            }

            try
            {
                await Task.WhenAny(changed, Completion).WaitAsync(deadline.Token);
            }
            catch (OperationCanceledException)
            {
                Assert.Fail($"tmqtool printed no line starting with \"{prefix}\" within {Timeout}. Output so far:\n{_output}\n--- stderr\n{_error}");
            }
        }
    }

    /// <summary>A text writer that several threads may write to, and whose changes can be awaited.</summary>
    private sealed class WatchedWriter : TextWriter
    {
        private readonly StringBuilder _text = new();
        private readonly Lock _gate = new();
        private TaskCompletionSource _changed = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public override Encoding Encoding => Encoding.UTF8;

        public override void Write(char value) => Append(value.ToString());

        public override void Write(string? value) => Append(value ?? "");

        public override void WriteLine(string? value) => Append(value + NewLine);

        /// <summary>The complete lines so far, and a task that completes at the next write.</summary>
        public (string[] Lines, Task Changed) Snapshot()
        {
            lock (_gate)
            {
                var text = _text.ToString();
                var complete = text[..(text.LastIndexOf('\n') + 1)];
                return (complete.Split('\n', StringSplitOptions.RemoveEmptyEntries), _changed.Task);
            }
        }

        public override string ToString()
        {
            lock (_gate)
            {
                return _text.ToString();
            }
        }

        private void Append(string value)
        {
            TaskCompletionSource changed;
            lock (_gate)
            {
                _text.Append(value);
                changed = _changed;
                _changed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            }

            changed.TrySetResult();
        }
    }
}
