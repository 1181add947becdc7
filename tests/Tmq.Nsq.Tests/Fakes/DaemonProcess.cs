using System.Diagnostics;
using System.Text;

namespace Tmq.Nsq.Tests.Fakes;

/// <summary>One daemon process: started, pinged until ready, stopped; its output kept for error messages.</summary>
internal sealed class DaemonProcess
{
    private const int KeptOutputChars = 8000;

    private readonly Process _process;
    private readonly StringBuilder _output = new();

    private DaemonProcess(Process process)
    {
        _process = process;
    }

    public static async Task<DaemonProcess> StartAsync(string path, IReadOnlyList<string> arguments, Uri httpAddress, TimeSpan timeout)
    {
        var info = new ProcessStartInfo(path)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var argument in arguments)
        {
            info.ArgumentList.Add(argument);
        }

        var process = Process.Start(info) ?? throw new InvalidOperationException($"Could not start {path}.");
        var daemon = new DaemonProcess(process);
        process.OutputDataReceived += (_, e) => daemon.Keep(e.Data);
        process.ErrorDataReceived += (_, e) => daemon.Keep(e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        try
        {
            await daemon.WaitForPingAsync(path, arguments, httpAddress, timeout);
            return daemon;
        }
        catch
        {
            await daemon.StopAsync(graceful: false, timeout);
            throw;
        }
    }

    public async Task StopAsync(bool graceful, TimeSpan timeout)
    {
        try
        {
            if (!_process.HasExited)
            {
                if (graceful && !OperatingSystem.IsWindows())
                {
                    using var kill = Process.Start("kill", ["-TERM", _process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)]);
                    await kill.WaitForExitAsync();
                }
                else
                {
                    _process.Kill(entireProcessTree: true);
                }
            }

            using var deadline = new CancellationTokenSource(timeout);
            try
            {
                await _process.WaitForExitAsync(deadline.Token);
            }
            catch (OperationCanceledException)
            {
                _process.Kill(entireProcessTree: true);
                await _process.WaitForExitAsync();
            }
        }
        finally
        {
            _process.Dispose();
        }
    }

    private async Task WaitForPingAsync(string path, IReadOnlyList<string> arguments, Uri httpAddress, TimeSpan timeout)
    {
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(2) };
        var ping = new Uri(httpAddress, "ping");
        var clock = Stopwatch.StartNew();
        while (true)
        {
            if (_process.HasExited)
            {
                throw new InvalidOperationException($"{path} {string.Join(' ', arguments)} exited with code {_process.ExitCode} before answering {ping}:\n{Output()}");
            }

            try
            {
                using var response = await http.GetAsync(ping);
                if (response.IsSuccessStatusCode && (await response.Content.ReadAsStringAsync()).Trim() == "OK")
                {
                    return;
                }
            }
            catch (HttpRequestException)
            {
                // Not listening yet.
            }
            catch (TaskCanceledException)
            {
                // Listening but not answering yet.
            }

            if (clock.Elapsed > timeout)
            {
                throw new TimeoutException($"{path} {string.Join(' ', arguments)} did not answer {ping} with OK within {timeout}:\n{Output()}");
            }

            // A daemon starting up signals nothing we can wait on; polling /ping is the readiness check.
            await Task.Delay(TimeSpan.FromMilliseconds(50));
        }
    }

    private void Keep(string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (_output)
        {
            if (_output.Length < KeptOutputChars)
            {
                _output.AppendLine(line);
            }
        }
    }

    private string Output()
    {
        lock (_output)
        {
            return _output.ToString();
        }
    }
}
