using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace Tmq;

/// <summary>
/// Reports every settings failure of one start as one <see cref="TmqSettingsException"/>. When more
/// than one options instance fails (a misspelt <c>Tmq:Consumers:mian</c> fails Tmq's own check and
/// leaves consumer <c>main</c> without a topic), the options framework's start-up validation throws an
/// <see cref="AggregateException"/>, which the host logs with every stack trace it holds.
/// </summary>
/// <remarks>
/// Failures of anyone else's options (a plain <see cref="OptionsValidationException"/>) leave the
/// aggregate as it is: they are not ours to reword.
/// </remarks>
internal sealed class TmqStartupValidator(IStartupValidator inner) : IStartupValidator
{
    public void Validate()
    {
        try
        {
            inner.Validate();
        }
        catch (AggregateException ex) when (ex.InnerExceptions.Count > 0 && ex.InnerExceptions.All(static e => e is TmqSettingsException))
        {
            var first = (TmqSettingsException)ex.InnerExceptions[0];
            throw new TmqSettingsException(first.OptionsName, first.OptionsType, ex.InnerExceptions.SelectMany(static e => ((TmqSettingsException)e).Failures));
        }
    }

    /// <summary>
    /// Wraps the registered start-up validator, which the host resolves and runs before any hosted
    /// service starts. Call once, after a <c>ValidateOnStart</c> registered it: later ones only try
    /// to add theirs, so the wrapper stays.
    /// </summary>
    public static void Decorate(IServiceCollection services)
    {
        var registered = services.LastOrDefault(static d => d.ServiceType == typeof(IStartupValidator) && !d.IsKeyedService);
        if (registered is null)
        {
            return;
        }

        services.Remove(registered);
        services.Add(ServiceDescriptor.Describe(
            typeof(IStartupValidator),
            provider => new TmqStartupValidator((IStartupValidator)(
                registered.ImplementationInstance
                ?? registered.ImplementationFactory?.Invoke(provider)
                ?? ActivatorUtilities.CreateInstance(provider, registered.ImplementationType!))),
            registered.Lifetime));
    }
}
