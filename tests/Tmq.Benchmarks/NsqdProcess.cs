using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace Tmq.Benchmarks;

/// <summary>
/// A real nsqd as a child process: free loopback ports, a temporary <c>--data-path</c>,
/// <c>--mem-queue-size=10000</c> and nsqd's defaults otherwise. Dispose kills it and deletes the folder.
/// </summary>
internal sealed class NsqdProcess : IAsyncDisposable
{
    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(15);

    private readonly Process _process;

    private NsqdProcess(Process process, int tcpPort, int httpPort, string dataPath, string version)
    {
        _process = process;
        TcpAddress = $"127.0.0.1:{tcpPort}";
        HttpAddress = new Uri($"http://127.0.0.1:{httpPort}/");
        DataPath = dataPath;
        Version = version;
    }

    public string TcpAddress { get; }

    public Uri HttpAddress { get; }

    public string DataPath { get; }

    public string Version { get; }

    /// <summary>CPU time nsqd has used so far (it shares the machine's cores with the client).</summary>
    public double CpuSeconds
    {
        get
        {
            _process.Refresh();
            return _process.TotalProcessorTime.TotalSeconds;
        }
    }

    /// <summary>Starts <paramref name="nsqd"/> and returns once it answers <c>/ping</c>.</summary>
    public static async Task<NsqdProcess> StartAsync(string nsqd)
    {
        var version = await VersionAsync(nsqd);
        var ports = FreePorts(2);
        var dataPath = Directory.CreateTempSubdirectory("tmq-bench-nsqd-").FullName;
        var info = new ProcessStartInfo(nsqd) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        info.ArgumentList.Add($"--tcp-address=127.0.0.1:{ports[0]}");
        info.ArgumentList.Add($"--http-address=127.0.0.1:{ports[1]}");
        info.ArgumentList.Add($"--data-path={dataPath}");
        info.ArgumentList.Add("--mem-queue-size=10000");
        var process = Process.Start(info) ?? throw new InvalidOperationException($"Could not start {nsqd}.");

        // nsqd logs every connection; read its output so that a full pipe never stalls it.
        process.OutputDataReceived += static (_, _) => { };
        process.ErrorDataReceived += static (_, _) => { };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        var started = new NsqdProcess(process, ports[0], ports[1], dataPath, version);
        if (!await started.AnswersPingAsync())
        {
            await started.DisposeAsync();
            throw new InvalidOperationException($"{nsqd} did not answer /ping within {StartTimeout.TotalSeconds} s (or exited).");
        }

        return started;
    }

    public async ValueTask DisposeAsync()
    {
        _process.Kill(entireProcessTree: true);
        await _process.WaitForExitAsync();
        _process.Dispose();
        Directory.Delete(DataPath, recursive: true);
    }

    private async Task<bool> AnswersPingAsync()
    {
        using var http = new HttpClient { BaseAddress = HttpAddress, Timeout = TimeSpan.FromSeconds(2) };
        var deadline = Stopwatch.GetTimestamp() + (long)(StartTimeout.TotalSeconds * Stopwatch.Frequency);
        while (Stopwatch.GetTimestamp() < deadline && !_process.HasExited)
        {
            try
            {
                using var ping = await http.GetAsync("ping");
                if (ping.IsSuccessStatusCode)
                {
                    return true;
                }
            }
            catch (HttpRequestException)
            {
                // Not listening yet.
            }

            await Task.Delay(50);
        }

        return false;
    }

    private static async Task<string> VersionAsync(string nsqd)
    {
        using var process = Process.Start(new ProcessStartInfo(nsqd, "--version") { RedirectStandardOutput = true, UseShellExecute = false })
            ?? throw new InvalidOperationException($"Could not start {nsqd}.");
        var text = (await process.StandardOutput.ReadToEndAsync()).Trim();
        await process.WaitForExitAsync();
        return text;
    }

    /// <summary>Ports the system picked as free; all listeners stay open until every port is picked, so the ports differ.</summary>
    private static int[] FreePorts(int count)
    {
        var listeners = Enumerable.Range(0, count).Select(static _ => new TcpListener(IPAddress.Loopback, 0)).ToList();
        try
        {
            listeners.ForEach(static l => l.Start());
            return [.. listeners.Select(static l => ((IPEndPoint)l.LocalEndpoint).Port)];
        }
        finally
        {
            listeners.ForEach(static l => l.Stop());
        }
    }
}
