using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;

namespace Tmqtool.Tests.Support;

/// <summary>What the end-to-end tests do with the processes they start: free ports, SIGTERM, scraping a worker's metrics.</summary>
internal static class Processes
{
    internal static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    /// <summary>Sends SIGTERM and waits up to <paramref name="limit"/> for the process to exit.</summary>
    internal static async Task StopAsync(Process process, TimeSpan limit)
    {
        using (var kill = Process.Start("kill", ["-TERM", process.Id.ToString(CultureInfo.InvariantCulture)]))
        {
            await kill.WaitForExitAsync();
        }

        using var exited = new CancellationTokenSource(limit);
        await process.WaitForExitAsync(exited.Token);
    }

    /// <summary>A worker's /metrics once it shows a dead-lettered message (the gauges need one collection after the consumer started).</summary>
    internal static async Task<string> ScrapeAfterDeadLetterAsync(int port, TimeSpan limit)
    {
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(10) };
        var deadline = DateTime.UtcNow + limit;
        while (true)
        {
            var text = await http.GetStringAsync(new Uri($"http://localhost:{port.ToString(CultureInfo.InvariantCulture)}/metrics"));
            if (text.Contains("tmq_outcome=\"dead_letter\"", StringComparison.Ordinal))
            {
                return text;
            }

            Assert.True(DateTime.UtcNow < deadline, $"No dead_letter outcome on /metrics within {limit}:\n{text}");
            await Task.Delay(200);
        }
    }

    /// <summary>Asks the worker's /healthz until its report contains <paramref name="text"/> (a consumer applies a setting a moment after the log line that announces it).</summary>
    internal static async Task HealthSaysAsync(int port, string text, TimeSpan limit)
    {
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(10) };
        var deadline = DateTime.UtcNow + limit;
        while (true)
        {
            var report = await http.GetStringAsync(new Uri($"http://localhost:{port.ToString(CultureInfo.InvariantCulture)}/healthz"));
            if (report.Contains(text, StringComparison.Ordinal))
            {
                return;
            }

            Assert.True(DateTime.UtcNow < deadline, $"/healthz never said {text} within {limit}:\n{report}");
            await Task.Delay(100);
        }
    }
}
