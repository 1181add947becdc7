using Microsoft.Extensions.Options;

namespace Tmq.Hosting;

/// <summary>Checks <see cref="HealthEndpointOptions"/> at start-up, in the style of the consumer settings' errors.</summary>
internal sealed class HealthEndpointOptionsValidator : IValidateOptions<HealthEndpointOptions>
{
    public ValidateOptionsResult Validate(string? name, HealthEndpointOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var errors = new List<string>();
        if (options.Port is < 0 or > 65535)
        {
            errors.Add(ConsumerOptionsValidator.Problem($"{HealthEndpointOptions.SectionName}:Port", $"is {options.Port}; it must be a TCP port from 1 to 65535, or 0 to turn the health endpoint off"));
        }

        if (string.Equals(options.Path, "/metrics", StringComparison.OrdinalIgnoreCase))
        {
            errors.Add(ConsumerOptionsValidator.Problem($"{HealthEndpointOptions.SectionName}:Path", "is \"/metrics\"; that is the Prometheus endpoint, which the generated service serves on the same port, so choose another path such as /healthz"));
        }
        else if (!IsPlainPath(options.Path))
        {
            errors.Add(ConsumerOptionsValidator.Problem($"{HealthEndpointOptions.SectionName}:Path", $"is \"{options.Path}\"; it must be a path such as /healthz: a '/' then letters, digits, '-', '_', '.' or more '/'-separated segments, with no trailing '/'"));
        }

        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
    }

    /// <summary>'/'-separated non-empty segments of ASCII letters, digits, '-', '_' and '.': nothing that URL-encoding or HttpListener's prefix rules would change.</summary>
    private static bool IsPlainPath(string? path) =>
        path is ['/', _, ..]
        && path.Split('/')[1..].All(static segment => segment.Length > 0 && segment.All(static c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.'));
}
