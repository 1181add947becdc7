using System.Text.RegularExpressions;

namespace Tmqtool.Validation;

/// <summary>
/// <c>--pre</c>: where the service's code lives, as a Go import path (<c>github.com/shop/orders-consumer</c>,
/// the form the flag takes in the Go tooling it comes from) or as an https URL. The generated project
/// gets it as <c>RepositoryUrl</c> and the image as its <c>org.opencontainers.image.source</c> label.
/// </summary>
internal static partial class RepositoryPath
{
    internal const string Option = "--pre";
    internal const int MaxLength = 200;

    internal const string Rule =
        "a repository path, host/path (e.g. github.com/shop/orders-consumer, with a '.' in the host) or the same as an https:// URL; letters, digits and . _ ~ - in each part, at most 200 characters";

    private const string Fix = "e.g. --pre github.com/shop/orders-consumer";

    /// <summary>The repository's https URL for <paramref name="value"/>, or null when it is not given.</summary>
    internal static string? ValidateUrl(string? value)
    {
        if (value is null)
        {
            return null;
        }

        var path = value.StartsWith("https://", StringComparison.Ordinal) ? value["https://".Length..] : value;
        path = path.TrimEnd('/');
        if (value.Length > MaxLength || !Pattern().IsMatch(path))
        {
            throw InputException.Invalid(Option, value, "repository path", Rule, Fix);
        }

        return "https://" + path;
    }

    [GeneratedRegex(@"\A[a-zA-Z0-9-]+(\.[a-zA-Z0-9-]+)+(:[0-9]{1,5})?(/[a-zA-Z0-9._~-]+)+\z", RegexOptions.CultureInvariant)]
    private static partial Regex Pattern();
}
