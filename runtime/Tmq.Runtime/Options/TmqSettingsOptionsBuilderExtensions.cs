using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace Tmq;

/// <summary>How every Tmq options class is bound and checked, so that each bad setting stops the start with a <see cref="TmqSettingsException"/>.</summary>
internal static class TmqSettingsOptionsBuilderExtensions
{
    /// <summary>
    /// Binds <paramref name="path"/> after checking that every key is a setting and every value
    /// converts (<see cref="ConfigurationTypeCheck.ThrowIfInvalid"/>), then validates at start-up
    /// (<see cref="ThrowSettingsFailures"/>).
    /// </summary>
    public static OptionsBuilder<TOptions> BindTmqSettings<TOptions>(this OptionsBuilder<TOptions> builder, string path)
        where TOptions : class, new()
    {
        var name = builder.Name;
        return builder
            .Configure<IConfiguration, IEnumerable<IValidateOptions<TOptions>>>((_, configuration, validators) =>
                ConfigurationTypeCheck.ThrowIfInvalid(configuration, path, name, validators))
            .BindConfiguration(path)
            .ThrowSettingsFailures();
    }

    /// <summary>Validates at start-up and on every reload, reporting failures as a <see cref="TmqSettingsException"/>.</summary>
    public static OptionsBuilder<TOptions> ThrowSettingsFailures<TOptions>(this OptionsBuilder<TOptions> builder)
        where TOptions : class
    {
        var name = builder.Name;
        return builder
            .PostConfigure<IEnumerable<IValidateOptions<TOptions>>>((options, validators) => ConfigurationTypeCheck.ThrowIfFailed(name, options, validators))
            .ValidateOnStart();
    }
}
