using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace Tmq.Nsq.Tests.Fakes;

/// <summary>
/// The real nsqd (and nsqlookupd when <c>NSQLOOKUPD_PATH</c> is set) on free loopback ports with a
/// temporary data folder, one set per call to <see cref="StartAsync"/>. Mark tests that use it
/// <see cref="RealNsqdFactAttribute"/> so that they are skipped, with a reason, where the binaries are absent.
/// </summary>
/// <remarks>
/// <see cref="StopAsync"/> and <see cref="RestartAsync"/> stop and start nsqd on the same ports and
/// data folder (nsqlookupd keeps running), for reconnect and restart tests. Dispose kills both and
/// deletes the folder.
/// </remarks>
internal sealed class RealNsqd : IAsyncDisposable
{
    public const string NsqdPathVariable = "NSQD_PATH";
    public const string LookupdPathVariable = "NSQLOOKUPD_PATH";

    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(15);
    private static readonly TimeSpan StopTimeout = TimeSpan.FromSeconds(10);

    private readonly string _dataPath;
    private readonly int _httpPort;
    private readonly int? _lookupdTcpPort;
    private DaemonProcess? _nsqd;
    private DaemonProcess? _lookupd;

    private RealNsqd(string dataPath, int tcpPort, int httpPort, int? lookupdTcpPort, int? lookupdHttpPort)
    {
        _dataPath = dataPath;
        _httpPort = httpPort;
        _lookupdTcpPort = lookupdTcpPort;
        TcpEndPoint = new IPEndPoint(IPAddress.Loopback, tcpPort);
        HttpAddress = new Uri($"http://127.0.0.1:{httpPort}/");
        LookupdHttpAddress = lookupdHttpPort is { } port ? new Uri($"http://127.0.0.1:{port}/") : null;
    }

    public static string? NsqdPath => NonEmpty(Environment.GetEnvironmentVariable(NsqdPathVariable));

    public static string? LookupdPath => NonEmpty(Environment.GetEnvironmentVariable(LookupdPathVariable));

    /// <summary>Why tests that need the real nsqd are skipped here, or null when they can run.</summary>
    public static string? SkipReason => NsqdPath is null
        ? $"{NsqdPathVariable} is not set: the real-nsqd run of this test is skipped (build nsqd 1.3 and set {NsqdPathVariable} and {LookupdPathVariable} to run it)"
        : null;

    /// <summary>nsqd's TCP (protocol V2) address.</summary>
    public IPEndPoint TcpEndPoint { get; }

    /// <summary>nsqd's HTTP address, e.g. for <c>/stats</c> and <c>/pub</c>.</summary>
    public Uri HttpAddress { get; }

    /// <summary>nsqlookupd's HTTP address (for <c>/lookup</c>), or null when <c>NSQLOOKUPD_PATH</c> is not set.</summary>
    public Uri? LookupdHttpAddress { get; }

    /// <summary>Starts nsqlookupd (when available) and nsqd, and returns once both answer <c>/ping</c>.</summary>
    /// <exception cref="InvalidOperationException"><c>NSQD_PATH</c> is not set; use <see cref="RealNsqdFactAttribute"/>.</exception>
    public static async Task<RealNsqd> StartAsync()
    {
        if (NsqdPath is null)
        {
            throw new InvalidOperationException($"{SkipReason}. Mark the test [RealNsqdFact] so that it is skipped instead of failing.");
        }

        var withLookupd = LookupdPath is not null;
        var ports = FreePorts(withLookupd ? 4 : 2);
        var dataPath = Directory.CreateTempSubdirectory("tmq-nsqd-").FullName;
        var server = new RealNsqd(dataPath, ports[0], ports[1], withLookupd ? ports[2] : null, withLookupd ? ports[3] : null);
        try
        {
            if (withLookupd)
            {
                server._lookupd = await DaemonProcess.StartAsync(
                    LookupdPath!,
                    [$"--tcp-address=127.0.0.1:{ports[2]}", $"--http-address=127.0.0.1:{ports[3]}"],
                    server.LookupdHttpAddress!,
                    StartTimeout);
            }

            await server.RestartAsync();
            return server;
        }
        catch
        {
            await server.DisposeAsync();
            throw;
        }
    }

    /// <summary>Stops nsqd: gracefully (SIGTERM, it flushes in-memory messages to its data folder), or by killing it.</summary>
    public async Task StopAsync(bool graceful = true)
    {
        if (_nsqd is { } nsqd)
        {
            _nsqd = null;
            await nsqd.StopAsync(graceful, StopTimeout);
        }
    }

    /// <summary>Starts nsqd again (or the first time) on the same ports and data folder.</summary>
    public async Task RestartAsync()
    {
        if (_nsqd is not null)
        {
            return;
        }

        List<string> arguments =
        [
            $"--tcp-address=127.0.0.1:{TcpEndPoint.Port}",
            $"--http-address=127.0.0.1:{_httpPort}",
            $"--data-path={_dataPath}",
        ];
        if (_lookupdTcpPort is { } lookupd)
        {
            arguments.Add($"--lookupd-tcp-address=127.0.0.1:{lookupd}");

            // nsqlookupd hands out the broadcast address, by default the host name, which need not resolve to loopback.
            arguments.Add("--broadcast-address=127.0.0.1");
        }

        _nsqd = await DaemonProcess.StartAsync(NsqdPath!, arguments, HttpAddress, StartTimeout);
    }

    public async ValueTask DisposeAsync()
    {
        await StopAsync(graceful: false);
        if (_lookupd is { } lookupd)
        {
            _lookupd = null;
            await lookupd.StopAsync(graceful: false, StopTimeout);
        }

        try
        {
            Directory.Delete(_dataPath, recursive: true);
        }
        catch (IOException)
        {
            // A leftover temp folder is not worth failing a test for.
        }
    }

    private static string? NonEmpty(string? value) => string.IsNullOrWhiteSpace(value) ? null : value;

    /// <summary>
    /// Ports the system picked as free. All listeners stay open until every port is picked, so the
    /// ports differ; another process may still take one before the daemon binds it (rare on loopback).
    /// </summary>
    private static int[] FreePorts(int count)
    {
        var listeners = new List<TcpListener>();
        try
        {
            for (var i = 0; i < count; i++)
            {
                var listener = new TcpListener(IPAddress.Loopback, 0);
                listener.Start();
                listeners.Add(listener);
            }

            return [.. listeners.Select(l => ((IPEndPoint)l.LocalEndpoint).Port)];
        }
        finally
        {
            foreach (var listener in listeners)
            {
                listener.Stop();
            }
        }
    }
}
