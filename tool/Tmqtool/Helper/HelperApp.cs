using System.Diagnostics;
using System.Reflection;
using System.Runtime.InteropServices;
using System.Text;
using Tmqtool.Packaging;
using Tmqtool.Templates;

namespace Tmqtool.Helper;

/// <summary>
/// Runs the Kafka helper: a small file-based app (<c>Helper/App/tmqhelper.cs</c>, embedded) that
/// references Tmq.Kafka at the tool's own version. The tool stays small (no Confluent.Kafka, no
/// 146 MB of native librdkafka); the first use of a tool version restores and builds the helper
/// once, with the runtime packages the tool carries as its feed.
/// </summary>
/// <remarks>
/// Files live in <c>~/.tmqtool/dev/&lt;version&gt;/</c> (<c>TMQTOOL_HOME</c> replaces <c>~/.tmqtool</c>),
/// the build in its <c>artifacts/</c>; they are rewritten only when their content changes, so that
/// <c>dotnet run</c> finds the build up to date. The helper stops when its standard input closes: the tool closes it on Ctrl+C or
/// SIGTERM, and the operating system closes it if the tool dies, so a broker never outlives it.
/// </remarks>
internal sealed class HelperApp : IHelperRunner
{
    internal const string HomeVariable = "TMQTOOL_HOME";
    internal const string FileName = "tmqhelper.cs";
    internal static readonly string[] Packages = ["Tmq.Runtime", "Tmq.Kafka"];

    private static readonly TimeSpan StopGrace = TimeSpan.FromSeconds(20);
    private static readonly TimeSpan OutputDrain = TimeSpan.FromSeconds(2);

    /// <summary>
    /// How long a stopped helper may take before it is killed. produce waits for the messages the
    /// client already holds, each delivered or failed within its --timeout, so it gets that long and a
    /// little more: killed earlier, it could not say which were delivered. A second signal kills at once.
    /// </summary>
    internal static TimeSpan StopGraceFor(HelperRequest request) =>
        request.Verb == "produce" && request.Arguments["timeoutSeconds"] is { } timeout
            ? TimeSpan.FromSeconds(Math.Max(StopGrace.TotalSeconds, timeout.GetValue<int>() + 5))
            : StopGrace;

    private HelperApp()
    {
    }

    internal static HelperApp Instance { get; } = new();

    /// <summary>~/.tmqtool, or <c>$TMQTOOL_HOME</c>.</summary>
    internal static string DefaultHome() =>
        Environment.GetEnvironmentVariable(HomeVariable) is { Length: > 0 } home
            ? Path.GetFullPath(home)
            : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".tmqtool");

    public int Run(HelperRequest request, CliEnvironment environment, TextWriter output, TextWriter error, CancellationToken stop = default)
    {
        var version = environment.Versions.Tmq;
        var feed = environment.BundledFeedDirectory;
        var missing = PackageFeed.Resolve(null, environment).FindBundled(Packages, version).Missing;
        if (missing.Count > 0)
        {
            error.WriteLine($"error: this tmqtool carries no {string.Join(" or ", missing)} {version} package (a development build?), and its Kafka helper needs them.");
            error.WriteLine("  fix:  install the packed tool (dotnet pack tool/Tmqtool -c Release -o <dir>; dotnet tool install tmqtool --add-source <dir>), which carries them.");
            return ExitCodes.UnexpectedFailure;
        }

        var folder = Path.Combine(environment.ToolHome, "dev", version);
        string app;
        try
        {
            app = Prepare(folder, version, feed!, out var changed);
            if (changed)
            {
                error.WriteLine($"tmqtool: preparing the Kafka helper in {Escape.Shell(folder)}; the first run of this version restores and builds it (up to a minute).");
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            error.WriteLine($"error: could not write the Kafka helper to {Escape.Shell(folder)}: {e.Message}");
            error.WriteLine($"  fix:  make the folder writable, or point {HomeVariable} at a writable folder.");
            return ExitCodes.UnexpectedFailure;
        }

        return Execute(app, folder, request, output, error, stop);
    }

    /// <summary>Writes the helper, its nuget.config and fences against outer MSBuild files; returns the helper's path.</summary>
    internal static string Prepare(string folder, string version, string feed, out bool changed)
    {
        Directory.CreateDirectory(folder);
        var app = Path.Combine(folder, FileName);
        changed = WriteIfChanged(app, AppSource().Replace("__TMQ_VERSION__", version, StringComparison.Ordinal));
        changed |= WriteIfChanged(Path.Combine(folder, "nuget.config"), NuGetConfig(feed));

        // Keep Directory.Build.props, Directory.Packages.props and global.json of folders above
        // (TMQTOOL_HOME inside a repository) out of the helper's build.
        changed |= WriteIfChanged(Path.Combine(folder, "Directory.Build.props"), "<Project />\n");
        changed |= WriteIfChanged(Path.Combine(folder, "Directory.Build.targets"), "<Project />\n");
        changed |= WriteIfChanged(Path.Combine(folder, "Directory.Packages.props"), "<Project>\n  <PropertyGroup>\n    <ManagePackageVersionsCentrally>false</ManagePackageVersionsCentrally>\n  </PropertyGroup>\n</Project>\n");
        return app;
    }

    internal static string NuGetConfig(string feed) => $"""
        <?xml version="1.0" encoding="utf-8"?>
        <!-- Written by tmqtool: the Tmq packages come from the copies the tool carries, everything else from nuget.org. -->
        <configuration>
          <packageSources>
            <clear />
            <add key="nuget.org" value="https://api.nuget.org/v3/index.json" protocolVersion="3" />
            <add key="tmq" value="{Escape.Xml(feed)}" />
          </packageSources>
          <packageSourceMapping>
            <packageSource key="nuget.org">
              <package pattern="*" />
            </packageSource>
            <packageSource key="tmq">
              <package pattern="Tmq.*" />
            </packageSource>
          </packageSourceMapping>
        </configuration>

        """;

    internal static string AppSource()
    {
        using var stream = Assembly.GetExecutingAssembly().GetManifestResourceStream("helper/" + FileName)
            ?? throw new InvalidOperationException($"The tool was built without its embedded helper/{FileName}.");
        using var reader = new StreamReader(stream, Encoding.UTF8);
        return reader.ReadToEnd();
    }

    private static bool WriteIfChanged(string path, string content)
    {
        if (File.Exists(path) && string.Equals(File.ReadAllText(path), content, StringComparison.Ordinal))
        {
            return false;
        }

        // Write and rename, so that a second tmqtool starting at the same moment never reads half a file.
        var temporary = $"{path}.{Environment.ProcessId}.tmp";
        File.WriteAllText(temporary, content, new UTF8Encoding(encoderShouldEmitUTF8Identifier: false));
        File.Move(temporary, path, overwrite: true);
        return true;
    }

    private static int Execute(string app, string folder, HelperRequest request, TextWriter output, TextWriter error, CancellationToken stop)
    {
        var info = new ProcessStartInfo("dotnet")
        {
            // The helper's folder, so that a global.json where the user stands cannot pick another SDK.
            WorkingDirectory = folder,
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        // The build goes next to the helper, not to the SDK's shared cache: deleting a version's
        // folder (or TMQTOOL_HOME) deletes its ~100 MB build too.
        foreach (var argument in new[] { "run", "--file", app, "--artifacts-path", Path.Combine(folder, "artifacts"), "--", request.ToJson() })
        {
            info.ArgumentList.Add(argument);
        }

        info.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        info.Environment["DOTNET_NOLOGO"] = "1";
        info.Environment["DOTNET_SKIP_FIRST_TIME_EXPERIENCE"] = "1";

        // No MSBuild node may outlive the build holding our output pipes open.
        info.Environment["MSBUILDDISABLENODEREUSE"] = "1";
        info.Environment["DOTNET_CLI_USE_MSBUILD_SERVER"] = "0";

        using var process = new Process { StartInfo = info };
        var outputDone = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var errorDone = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var helperExplained = false;
        var gate = new Lock();
        process.OutputDataReceived += (_, e) =>
        {
            if (e.Data is null)
            {
                outputDone.TrySetResult();
                return;
            }

            lock (gate)
            {
                output.WriteLine(e.Data);
                output.Flush();
            }
        };
        process.ErrorDataReceived += (_, e) =>
        {
            if (e.Data is null)
            {
                errorDone.TrySetResult();
                return;
            }

            lock (gate)
            {
                helperExplained |= e.Data.StartsWith("error: ", StringComparison.Ordinal);
                error.WriteLine(e.Data);
                error.Flush();
            }
        };

        try
        {
            process.Start();
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            error.WriteLine($"error: could not start 'dotnet' for the Kafka helper: {e.Message}");
            error.WriteLine("  fix:  put the .NET SDK's dotnet on PATH.");
            return ExitCodes.UnexpectedFailure;
        }

        process.BeginOutputReadLine();
        process.BeginErrorReadLine();

        var stopRequested = 0;
        var forced = 0;
        var signalled = 0;
        void RequestStop()
        {
            if (Interlocked.Exchange(ref stopRequested, 1) == 0)
            {
                try
                {
                    process.StandardInput.Close();
                }
                catch (Exception e) when (e is IOException or InvalidOperationException or ObjectDisposedException)
                {
                    // The helper is already gone.
                }
            }
        }

        void Signalled()
        {
            // A second signal while the helper stops: the user will not wait for it. (The caller's
            // stop token, which the same signal may cancel, is not a signal of its own.)
            if (Interlocked.Increment(ref signalled) > 1)
            {
                Volatile.Write(ref forced, 1);
            }

            RequestStop();
        }

        var signals = new List<PosixSignalRegistration>();
        if (!OperatingSystem.IsWindows())
        {
            foreach (var signal in new[] { PosixSignal.SIGINT, PosixSignal.SIGTERM, PosixSignal.SIGQUIT })
            {
                signals.Add(PosixSignalRegistration.Create(signal, context =>
                {
                    context.Cancel = true;
                    Signalled();
                }));
            }
        }

        ConsoleCancelEventHandler? cancelKey = null;
        if (OperatingSystem.IsWindows())
        {
            cancelKey = (_, e) =>
            {
                e.Cancel = true;
                Signalled();
            };
            Console.CancelKeyPress += cancelKey;
        }

        using var stopping = stop.Register(RequestStop);
        try
        {
            var grace = StopGraceFor(request);
            long? stopAsked = null;
            while (!process.WaitForExit(200))
            {
                if (Volatile.Read(ref stopRequested) == 1)
                {
                    stopAsked ??= Stopwatch.GetTimestamp();
                    var gaveUp = Volatile.Read(ref forced) == 1;
                    if (gaveUp || Stopwatch.GetElapsedTime(stopAsked.Value) >= grace)
                    {
                        var held = request.Verb == "produce" ? " Messages it still held may or may not have been delivered." : "";
                        error.WriteLine(gaveUp
                            ? $"tmqtool: stopped again; killing the Kafka helper.{held}"
                            : $"tmqtool: the Kafka helper did not stop within {grace.TotalSeconds:0} s; killing it.{held}");
                        process.Kill(entireProcessTree: true);
                        process.WaitForExit(StopGrace);
                        return ExitCodes.UnexpectedFailure;
                    }
                }
            }

            // The last lines can arrive just after the exit.
            Task.WaitAll([outputDone.Task, errorDone.Task], OutputDrain);
        }
        finally
        {
            foreach (var registration in signals)
            {
                registration.Dispose();
            }

            if (cancelKey is not null)
            {
                Console.CancelKeyPress -= cancelKey;
            }
        }

        var exitCode = process.ExitCode;
        if (exitCode == 0)
        {
            return ExitCodes.Success;
        }

        if (Volatile.Read(ref stopRequested) == 1)
        {
            // Ctrl+C or SIGTERM before the helper was ready (while it was being built, say).
            error.WriteLine($"tmqtool: stopped (the Kafka helper exited with {exitCode}).");
            return ExitCodes.UnexpectedFailure;
        }

        if (!helperExplained)
        {
            error.WriteLine($"error: the Kafka helper ({Escape.Shell(app)}) failed with exit code {exitCode} before it ran; its output is above.");
            error.WriteLine($"  fix:  check that nuget.org can be reached (it restores Confluent.Kafka once), or delete {Escape.Shell(folder)} and try again.");
        }

        return ExitCodes.UnexpectedFailure;
    }
}
