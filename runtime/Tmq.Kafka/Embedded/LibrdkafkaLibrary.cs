using System.Runtime.InteropServices;
using System.Text;

namespace Tmq.Kafka.Embedded;

/// <summary>
/// Finds the native librdkafka that Confluent.Kafka uses, so the mock cluster and the clients
/// share one library instance in the process.
/// </summary>
/// <remarks>
/// librdkafka.redist ships several Linux builds: the plain <c>librdkafka.so</c> needs
/// <c>libsasl2.so.3</c>, which Debian 12 and Ubuntu do not have, so Confluent.Kafka falls back
/// to <c>centos8-librdkafka.so</c> (everything linked in). Rather than re-implement its choice,
/// we let Confluent.Kafka load first and then open the very file it mapped: <c>dlopen</c> of a
/// path that is already loaded returns the same handle. Only when that cannot be seen (not
/// Linux) do we probe the package's file names ourselves; Windows and macOS ship one build per
/// runtime identifier, so probing finds the file Confluent.Kafka loaded there too.
/// </remarks>
internal static class LibrdkafkaLibrary
{
    /// <summary>Loads (once) and returns the library handle; never freed, like Confluent.Kafka's.</summary>
    public static IntPtr Handle => s_handle.Value;

    private static readonly Lazy<IntPtr> s_handle = new(Load, LazyThreadSafetyMode.ExecutionAndPublication);

    private static IntPtr Load()
    {
        try
        {
            // Makes Confluent.Kafka pick and load its native library now.
            _ = Confluent.Kafka.Library.Version;
        }
        catch (Exception ex) when (ex is DllNotFoundException or InvalidOperationException or FileLoadException or BadImageFormatException)
        {
            throw new DllNotFoundException(
                $"Confluent.Kafka could not load the native librdkafka ({ex.Message}). The embedded broker uses the same library. " +
                "Make sure the librdkafka.redist package's runtimes/<rid>/native folder is deployed next to the application.", ex);
        }

        if (FindMappedLibrary() is { } mapped && NativeLibrary.TryLoad(mapped, out var same))
        {
            return same;
        }

        var failures = new StringBuilder();
        foreach (var candidate in Candidates())
        {
            if (!File.Exists(candidate))
            {
                failures.Append("\n  ").Append(candidate).Append(": not found");
                continue;
            }

            try
            {
                return NativeLibrary.Load(candidate);
            }
            catch (DllNotFoundException ex)
            {
                failures.Append("\n  ").Append(candidate).Append(": ").Append(ex.Message);
            }
        }

        throw new DllNotFoundException(
            "The embedded Kafka broker could not load librdkafka. Tried:" + failures +
            "\nDeploy the librdkafka.redist runtimes folder with the application (it comes with the Confluent.Kafka package).");
    }

    /// <summary>The librdkafka file mapped into this process, from <c>/proc/self/maps</c> (Linux only).</summary>
    private static string? FindMappedLibrary()
    {
        const string maps = "/proc/self/maps";
        if (!OperatingSystem.IsLinux() || !File.Exists(maps))
        {
            return null;
        }

        foreach (var line in File.ReadLines(maps))
        {
            // address perms offset dev inode pathname; the path is the last field and starts with '/'.
            var slash = line.IndexOf('/', StringComparison.Ordinal);
            if (slash < 0)
            {
                continue;
            }

            var path = line[slash..];
            var name = Path.GetFileName(path);
            if (name.Contains("librdkafka", StringComparison.Ordinal) && name.Contains(".so", StringComparison.Ordinal)
                && !name.Contains("librdkafkacpp", StringComparison.Ordinal))
            {
                return path;
            }
        }

        return null;
    }

    /// <summary>Candidate files, most likely first, under the app folder and beside Confluent.Kafka.</summary>
    private static IEnumerable<string> Candidates()
    {
        var arch = RuntimeInformation.ProcessArchitecture.ToString().ToLowerInvariant();
        var (os, names) = OperatingSystem.IsWindows() ? ("win", new[] { "librdkafka.dll" })
            : OperatingSystem.IsMacOS() ? ("osx", new[] { "librdkafka.dylib" })
            : IsMusl() ? ("linux", new[] { "alpine-librdkafka.so", "librdkafka.so" })
            : ("linux", new[] { "librdkafka.so", "centos8-librdkafka.so" });

        var roots = new List<string> { AppContext.BaseDirectory };
        if (Path.GetDirectoryName(typeof(Confluent.Kafka.Library).Assembly.Location) is { Length: > 0 } confluentDir)
        {
            roots.Add(confluentDir);
        }

        foreach (var root in roots.Distinct(StringComparer.Ordinal))
        {
            foreach (var name in names)
            {
                yield return Path.Combine(root, "runtimes", $"{os}-{arch}", "native", name);
                yield return Path.Combine(root, name);
            }
        }
    }

    private static bool IsMusl() =>
        RuntimeInformation.RuntimeIdentifier.Contains("musl", StringComparison.Ordinal)
        || File.Exists("/etc/alpine-release");

    /// <summary>An exported function of the library; throws a clear error for an old librdkafka.</summary>
    public static IntPtr Export(string name)
    {
        if (NativeLibrary.TryGetExport(Handle, name, out var address))
        {
            return address;
        }

        throw new EntryPointNotFoundException(
            $"The loaded librdkafka ({Confluent.Kafka.Library.VersionString}) has no '{name}'. " +
            "The embedded broker needs a librdkafka with the mock cluster API of version 2.16.");
    }
}
