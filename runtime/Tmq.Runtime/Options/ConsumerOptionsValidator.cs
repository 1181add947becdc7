using Microsoft.Extensions.Options;

namespace Tmq;

/// <summary>
/// Checks a consumer's options at start-up. Every message names the setting by its configuration
/// path, the value, the rule, and what to do.
/// </summary>
internal class ConsumerOptionsValidator : IValidateOptions<ConsumerOptions>
{
    public ValidateOptionsResult Validate(string? name, ConsumerOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var errors = Check(ConsumerPath(name), options);
        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
    }

    /// <summary>The configuration path of consumer <paramref name="name"/>.</summary>
    public static string ConsumerPath(string? name) =>
        $"{TmqOptions.SectionName}:Consumers:{(string.IsNullOrEmpty(name) ? Options.DefaultName : name)}";

    /// <summary>
    /// A settings error in the one style every check uses: the setting's path, what is wrong with
    /// it (<paramref name="problem"/>, e.g. <c>is -1; it must be ...</c>) and where to fix it.
    /// </summary>
    public static string Problem(string setting, string problem) =>
        $"{setting} {problem}. Fix it in appsettings.json (or the environment variable {setting.Replace(":", "__", StringComparison.Ordinal)}).";

    public static List<string> Check(string path, ConsumerOptions options)
    {
        var errors = new List<string>();
        void Fail(string setting, object? value, string rule) => errors.Add(Problem($"{path}:{setting}", $"is {Show(value)}; {rule}"));

        if (string.IsNullOrWhiteSpace(options.Topic))
        {
            Fail("Topic", options.Topic, "every consumer needs the topic it reads");
        }

        if (!Enum.IsDefined(options.Ordering))
        {
            Fail("Ordering", options.Ordering, "it must be Key, Partition or None");
        }

        if (options.Concurrency is < 1 or > TmqDefaults.MaxConcurrency)
        {
            Fail("Concurrency", options.Concurrency, $"it must be between 1 and {TmqDefaults.MaxConcurrency}");
        }

        if (options.MaxBufferedMessages < 1 || options.MaxBufferedMessages > TmqDefaults.MaxBufferedLimit)
        {
            Fail("MaxBufferedMessages", options.MaxBufferedMessages, $"it must be between 1 and {TmqDefaults.MaxBufferedLimit}");
        }
        else if (options.MaxBufferedMessages < options.Concurrency)
        {
            Fail("MaxBufferedMessages", options.MaxBufferedMessages, $"it must be at least Concurrency ({options.Concurrency}), or workers would sit idle; raise it or lower Concurrency");
        }

        if (options.ShutdownTimeout <= TimeSpan.Zero)
        {
            Fail("ShutdownTimeout", options.ShutdownTimeout, "it must be positive, e.g. \"00:00:20\"");
        }

        if (options.RevokeDrainTimeout <= TimeSpan.Zero)
        {
            Fail("RevokeDrainTimeout", options.RevokeDrainTimeout, "it must be positive, e.g. \"00:00:10\"");
        }

        ValidateRetry(options.Retry, Fail);
        if (options.DeadLetter is null)
        {
            Fail("DeadLetter", null, "remove the empty section or set DeadLetter:Topic");
        }
        else if (options.DeadLetter.RetryDelay <= TimeSpan.Zero)
        {
            Fail("DeadLetter:RetryDelay", options.DeadLetter.RetryDelay, "it must be positive, e.g. \"00:00:01\"");
        }
        else if (!string.IsNullOrWhiteSpace(options.Topic) &&
                 string.Equals(options.DeadLetter.ResolveTopic(options.Topic), options.Topic, StringComparison.Ordinal))
        {
            Fail("DeadLetter:Topic", options.DeadLetter.Topic, "it must differ from the consumed topic, or a poison message would come back forever");
        }

        return errors;
    }

    private static void ValidateRetry(RetryOptions? retry, Action<string, object?, string> fail)
    {
        if (retry is null)
        {
            fail("Retry", null, "remove the empty section or set its values");
            return;
        }

        if (retry.MaxAttempts < 1)
        {
            fail("Retry:MaxAttempts", retry.MaxAttempts, "it counts every delivery including the first, so it must be at least 1 (1 = no retries)");
        }

        if (retry.InitialDelay < TimeSpan.Zero)
        {
            fail("Retry:InitialDelay", retry.InitialDelay, "it must not be negative");
        }

        if (retry.MaxDelay < retry.InitialDelay)
        {
            fail("Retry:MaxDelay", retry.MaxDelay, $"it must be at least Retry:InitialDelay ({retry.InitialDelay})");
        }

        if (double.IsNaN(retry.Multiplier) || retry.Multiplier < 1)
        {
            fail("Retry:Multiplier", retry.Multiplier, "it must be 1 (constant delay) or more");
        }

        if (double.IsNaN(retry.Jitter) || retry.Jitter is < 0 or > 1)
        {
            fail("Retry:Jitter", retry.Jitter, "it is a fraction of the delay and must be between 0 and 1");
        }

        if (!Enum.IsDefined(retry.OnExhausted))
        {
            fail("Retry:OnExhausted", retry.OnExhausted, "it must be DeadLetter or Stop");
        }

        foreach (var name in retry.PermanentExceptions)
        {
            if (string.IsNullOrWhiteSpace(name))
            {
                fail("Retry:PermanentExceptions", name, "each entry must be a full exception type name such as System.FormatException");
            }
        }
    }

    private static string Show(object? value) => value switch
    {
        null => "missing",
        string s when s.Length == 0 => "empty",
        string s => $"\"{s}\"",
        _ => value.ToString() ?? "missing",
    };
}

/// <summary>The same checks for a transport's options type, plus the transport's own.</summary>
/// <typeparam name="TOptions">The transport's consumer options.</typeparam>
internal class ConsumerOptionsValidator<TOptions> : IValidateOptions<TOptions>
    where TOptions : ConsumerOptions
{
    public ValidateOptionsResult Validate(string? name, TOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var path = ConsumerOptionsValidator.ConsumerPath(name);
        var errors = ConsumerOptionsValidator.Check(path, options);
        if (options is ITransportOptionsValidation transport)
        {
            transport.Validate(path, errors);
        }

        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
    }
}

/// <summary>Implemented by a transport's options to add its own checks, in the same message style.</summary>
internal interface ITransportOptionsValidation
{
    void Validate(string path, List<string> errors);
}
