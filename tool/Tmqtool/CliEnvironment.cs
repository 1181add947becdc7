using System.Reflection;
using Tmqtool.Helper;

namespace Tmqtool;

/// <summary>
/// What a command reads from the world outside its arguments. Tests build their own so that they
/// never touch the process's working directory and their snapshots do not change with the version.
/// </summary>
/// <param name="WorkingDirectory">Where relative paths start.</param>
/// <param name="Versions">The package versions written into generated projects.</param>
/// <param name="BundledFeedDirectory">The folder of runtime .nupkg files carried by the tool package, or null in a development build.</param>
internal sealed record CliEnvironment(string WorkingDirectory, PackageVersions Versions, string? BundledFeedDirectory)
{
    /// <summary>The folder next to the tool's assembly where the tool package carries the runtime packages.</summary>
    internal const string BundledFeedFolderName = "feed";

    /// <summary>The tool's own folder for caches (the Kafka helper): ~/.tmqtool, or $TMQTOOL_HOME.</summary>
    internal string ToolHome { get; init; } = HelperApp.DefaultHome();

    /// <summary>Runs the Kafka helper app (dev kafka, produce, tail); tests replace it.</summary>
    internal IHelperRunner Helper { get; init; } = HelperApp.Instance;

    /// <summary>The clock of the verbs that run in the tool (timeouts, the replay's start).</summary>
    internal TimeProvider Time { get; init; } = TimeProvider.System;

    /// <summary>Stops the verbs that run in the tool until stopped (the NSQ ones); null: Ctrl+C and SIGTERM. Tests give their own.</summary>
    internal CancellationToken? Stop { get; init; }

    /// <summary>The stop of a verb that runs until stopped: <see cref="Stop"/>, or Ctrl+C and SIGTERM while the returned scope lives.</summary>
    internal StopSignal ListenForStop() => Stop is { } token ? new StopSignal(token) : StopSignal.FromProcess();

    internal static CliEnvironment FromProcess()
    {
        var feed = Path.Combine(AppContext.BaseDirectory, BundledFeedFolderName);
        return new CliEnvironment(
            Directory.GetCurrentDirectory(),
            PackageVersions.FromAssembly(typeof(CliEnvironment).Assembly),
            Directory.Exists(feed) ? feed : null);
    }
}

/// <summary>Versions of the packages a generated project references.</summary>
/// <param name="Tmq">Tmq.Runtime, Tmq.Kafka and Tmq.Nsq: the tool's own version.</param>
/// <param name="Hosting">Microsoft.Extensions.Hosting.</param>
/// <param name="TestSdk">Microsoft.NET.Test.Sdk.</param>
/// <param name="Xunit">xunit.</param>
/// <param name="XunitRunner">xunit.runner.visualstudio.</param>
/// <param name="OpenTelemetry">OpenTelemetry.Extensions.Hosting.</param>
/// <param name="PrometheusExporter">OpenTelemetry.Exporter.Prometheus.HttpListener (only served as a pre-release).</param>
/// <param name="OtlpExporter">OpenTelemetry.Exporter.OpenTelemetryProtocol.</param>
internal sealed record PackageVersions(string Tmq, string Hosting, string TestSdk, string Xunit, string XunitRunner, string OpenTelemetry, string PrometheusExporter, string OtlpExporter)
{
    internal static PackageVersions FromAssembly(Assembly assembly)
    {
        var informational = assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion
            ?? throw new InvalidOperationException("The tool assembly carries no informational version.");

        // "0.1.0+3f2a..." : the part after '+' is the commit, not part of the package version.
        var plus = informational.IndexOf('+', StringComparison.Ordinal);
        var tmq = plus < 0 ? informational : informational[..plus];

        var metadata = assembly.GetCustomAttributes<AssemblyMetadataAttribute>()
            .ToDictionary(a => a.Key, a => a.Value, StringComparer.Ordinal);
        string Version(string package) =>
            metadata.TryGetValue("PackageVersion:" + package, out var v) && !string.IsNullOrEmpty(v)
                ? v
                : throw new InvalidOperationException($"The tool was built without a version for {package} (see EmbedPackageVersions in Tmqtool.csproj).");

        return new PackageVersions(
            tmq,
            Version("Microsoft.Extensions.Hosting"),
            Version("Microsoft.NET.Test.Sdk"),
            Version("xunit"),
            Version("xunit.runner.visualstudio"),
            Version("OpenTelemetry.Extensions.Hosting"),
            Version("OpenTelemetry.Exporter.Prometheus.HttpListener"),
            Version("OpenTelemetry.Exporter.OpenTelemetryProtocol"));
    }
}
