using Tmqtool.Validation;

namespace Tmqtool.Packaging;

/// <summary>
/// Where a generated project restores Tmq.Runtime, Tmq.Kafka and Tmq.Nsq from. Everything else
/// comes from nuget.org.
/// </summary>
/// <remarks>
/// By default the tool copies the .nupkg files it carries into <c>.tmq-feed/</c> inside the
/// generated project and points nuget.config there. The project then restores on any machine
/// with nothing but the SDK: a teammate's clone, CI, a Docker build (the folder is in the build
/// context), long after the tool was updated or uninstalled. The price is a few hundred KB in the
/// repository. A per-user folder would be smaller but breaks all three of those cases.
/// </remarks>
/// <param name="Source">The value of the package source in nuget.config.</param>
/// <param name="Kind">What <see cref="Source"/> is.</param>
/// <param name="BundleDirectory">For <see cref="PackageFeedKind.Bundled"/>: the tool's own folder of .nupkg files, or null in a development build that carries none.</param>
internal sealed record PackageFeed(string Source, PackageFeedKind Kind, string? BundleDirectory)
{
    /// <summary>The folder, relative to the generated project, that receives the bundled packages.</summary>
    internal const string LocalFolder = ".tmq-feed";

    internal const string Option = "--feed";

    private const string Rule = "an http:// or https:// URL of a NuGet feed, or an existing folder that holds the Tmq .nupkg files";

    /// <summary>
    /// The bundled .nupkg files of <paramref name="packageIds"/> at <paramref name="version"/>, and
    /// the ids the tool does not carry (all of them in a development build).
    /// </summary>
    internal (IReadOnlyList<string> Found, IReadOnlyList<string> Missing) FindBundled(IEnumerable<string> packageIds, string version)
    {
        var found = new List<string>();
        var missing = new List<string>();
        foreach (var id in packageIds)
        {
            // NuGet names a package file "<id>.<normalized version>.nupkg".
            var file = BundleDirectory is null ? null : Path.Combine(BundleDirectory, $"{id}.{version}.nupkg");
            if (file is not null && File.Exists(file))
            {
                found.Add(file);
            }
            else
            {
                missing.Add(id);
            }
        }

        return (found, missing);
    }

    /// <summary>The feed for <c>--feed <paramref name="value"/></c>, or the bundled one when it is null.</summary>
    internal static PackageFeed Resolve(string? value, CliEnvironment environment)
    {
        if (value is null)
        {
            return new PackageFeed(LocalFolder, PackageFeedKind.Bundled, environment.BundledFeedDirectory);
        }

        if (value.Length == 0)
        {
            throw InputException.Missing(Option, Rule, "leave --feed out to use the packages that come with the tool");
        }

        if (value.Any(char.IsControl))
        {
            throw new InputException($"{Option} {Display.Quote(value)} contains a control character (a line break?).", Rule, "pass the URL or folder on its own");
        }

        if (Uri.TryCreate(value, UriKind.Absolute, out var uri) && !uri.IsFile)
        {
            if (uri.UserInfo.Length > 0)
            {
                // The URL goes into the generated nuget.config, which the repository keeps; the
                // message shows it without the credentials, since a terminal's output is kept too.
                var bare = new UriBuilder(uri) { UserName = string.Empty, Password = string.Empty }.Uri.AbsoluteUri;
                throw new InputException(
                    $"{Option} {Display.Quote(bare)} was given with credentials (user:password@ before the host); they would be written into the generated nuget.config.",
                    Rule + ", without credentials",
                    $"pass {Option} {bare} and give NuGet the credentials outside the project: a credential provider, or packageSourceCredentials in your user NuGet.Config");
            }

            return uri.Scheme is "http" or "https" && !value.Any(char.IsWhiteSpace)
                ? new PackageFeed(uri.AbsoluteUri, PackageFeedKind.Url, null)
                : throw InputException.Invalid(Option, value, "feed", Rule, "e.g. --feed https://nuget.example.com/v3/index.json");
        }

        string folder;
        try
        {
            folder = Path.GetFullPath(value, environment.WorkingDirectory);
        }
        catch (ArgumentException)
        {
            throw InputException.Invalid(Option, value, "feed", Rule, "e.g. --feed ./packages");
        }

        return Directory.Exists(folder)
            ? new PackageFeed(folder, PackageFeedKind.Folder, null)
            : throw new InputException(
                $"{Option} {Display.Quote(value)} is neither a URL nor an existing folder.",
                Rule,
                "create the folder and put the packages in it (dotnet pack runtime -o <folder>), or pass the feed's URL");
    }
}

/// <summary>What a <see cref="PackageFeed"/> points at.</summary>
internal enum PackageFeedKind
{
    /// <summary>The packages carried by the tool, copied into the generated project.</summary>
    Bundled,

    /// <summary>A folder given with --feed, referenced by its absolute path.</summary>
    Folder,

    /// <summary>An http(s) feed given with --feed.</summary>
    Url,
}
