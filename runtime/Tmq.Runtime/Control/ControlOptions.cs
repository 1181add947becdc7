namespace Tmq.Control;

/// <summary>
/// How an instance reads control messages, bound from <c>Tmq:Control</c>. Every instance of every
/// service reads the same topic and applies only what is addressed to its own service.
/// </summary>
public class ControlOptions
{
    /// <summary>The configuration section these options are bound from.</summary>
    public const string SectionName = "Tmq:Control";

    /// <summary>The control topic. <value>Defaults to <c>tmq.control</c>, which tmqtool writes unless told otherwise.</value></summary>
    public string Topic { get; set; } = "tmq.control";

    /// <summary>
    /// How long start-up waits to read the control topic to its end, so that a restarted instance
    /// starts with the settings it was given (paused stays paused) before its consumers start.
    /// Past it, the consumers start with appsettings.json, and the control settings apply when read.
    /// <value>Defaults to 5 s.</value>
    /// </summary>
    public TimeSpan StartupTimeout { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>The topic every instance reports its status to, for <c>tmqtool status</c>. <value>Defaults to <c>tmq.status</c>.</value></summary>
    public string StatusTopic { get; set; } = "tmq.status";

    /// <summary>
    /// How often an instance reports its status; an instance not heard from for three intervals is
    /// shown as gone. <c>00:00:00</c> turns the reports off. <value>Defaults to 5 s.</value>
    /// </summary>
    public TimeSpan StatusInterval { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>The problems of these settings, each naming its key.</summary>
    public virtual IEnumerable<string> Problems()
    {
        if (string.IsNullOrWhiteSpace(Topic))
        {
            yield return $"{SectionName}:Topic is empty; it is the topic control messages are read from (tmqtool writes tmq.control unless told otherwise).";
        }

        if (string.IsNullOrWhiteSpace(StatusTopic) || StatusTopic == Topic)
        {
            yield return $"{SectionName}:StatusTopic is \"{StatusTopic}\"; it is the topic instances report their status to, and must differ from the control topic ({Topic}).";
        }

        if (StatusInterval < TimeSpan.Zero || (StatusInterval > TimeSpan.Zero && StatusInterval < TimeSpan.FromSeconds(1)) || StatusInterval > TimeSpan.FromMinutes(10))
        {
            yield return $"{SectionName}:StatusInterval is {StatusInterval}; it is between 00:00:01 and 00:10:00, or 00:00:00 to report nothing.";
        }

        if (StartupTimeout < TimeSpan.Zero || StartupTimeout > TimeSpan.FromMinutes(5))
        {
            yield return $"{SectionName}:StartupTimeout is {StartupTimeout}; it is between 00:00:00 and 00:05:00.";
        }
    }
}

/// <summary>Checks control options at start-up.</summary>
internal sealed class ControlOptionsValidator<TOptions> : Microsoft.Extensions.Options.IValidateOptions<TOptions>
    where TOptions : ControlOptions
{
    public Microsoft.Extensions.Options.ValidateOptionsResult Validate(string? name, TOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var problems = options.Problems().ToList();
        return problems.Count == 0 ? Microsoft.Extensions.Options.ValidateOptionsResult.Success : Microsoft.Extensions.Options.ValidateOptionsResult.Fail(problems);
    }
}
