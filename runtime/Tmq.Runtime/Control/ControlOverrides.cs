using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Primitives;

namespace Tmq.Control;

/// <summary>
/// The live settings control messages have set, per consumer, laid over the consumer's bound
/// options (after appsettings.json, environment and command line, before validation). A commit
/// signals the consumer's options monitor, which re-reads the options and applies them as it does
/// an edit of appsettings.json.
/// </summary>
internal sealed class ControlOverrides
{
    private static readonly IReadOnlyDictionary<string, string> None = new Dictionary<string, string>();

    private readonly Lock _gate = new();
    private readonly AsyncLocal<IReadOnlyDictionary<string, IReadOnlyDictionary<string, string>>?> _candidate = new();
    private readonly Dictionary<string, CancellationTokenSource> _changes = new(StringComparer.Ordinal);
    private IReadOnlyDictionary<string, IReadOnlyDictionary<string, string>> _committed = new Dictionary<string, IReadOnlyDictionary<string, string>>();

    /// <summary>The settings consumer <paramref name="consumer"/> runs with now (or, inside <see cref="Try{T}"/>, would run with).</summary>
    public IReadOnlyDictionary<string, string> For(string consumer) =>
        (_candidate.Value ?? Volatile.Read(ref _committed)).GetValueOrDefault(consumer) ?? None;

    /// <summary>Lays consumer <paramref name="consumer"/>'s settings over <paramref name="options"/>, converting as the configuration binder does (a bad value throws).</summary>
    public void Apply(string consumer, object options)
    {
        var settings = For(consumer);
        if (settings.Count > 0)
        {
            new ConfigurationBuilder()
                .AddInMemoryCollection(settings.Select(static s => new KeyValuePair<string, string?>(s.Key, s.Value)))
                .Build()
                .Bind(options, static binder => binder.ErrorOnUnknownConfiguration = true);
        }
    }

    /// <summary>Runs <paramref name="build"/> (an options factory's Create) as if <paramref name="candidate"/> were committed, on this async flow only.</summary>
    public T Try<T>(IReadOnlyDictionary<string, IReadOnlyDictionary<string, string>> candidate, Func<T> build)
    {
        _candidate.Value = candidate;
        try
        {
            return build();
        }
        finally
        {
            _candidate.Value = null;
        }
    }

    /// <summary>Makes <paramref name="settings"/> the consumers' settings and signals those whose settings changed.</summary>
    public void Commit(IReadOnlyDictionary<string, IReadOnlyDictionary<string, string>> settings, IEnumerable<string> changed)
    {
        Volatile.Write(ref _committed, settings);
        foreach (var consumer in changed)
        {
            CancellationTokenSource? fired;
            lock (_gate)
            {
                _changes.Remove(consumer, out fired);
            }

            fired?.Cancel();
            fired?.Dispose();
        }
    }

    /// <summary>A token that fires at the next commit that changes consumer <paramref name="consumer"/>'s settings.</summary>
    public IChangeToken Watch(string consumer)
    {
        lock (_gate)
        {
            if (!_changes.TryGetValue(consumer, out var source))
            {
                source = new CancellationTokenSource();
                _changes[consumer] = source;
            }

            return new CancellationChangeToken(source.Token);
        }
    }
}

/// <summary>Signals a consumer's options monitor when control messages change its settings.</summary>
internal sealed class ControlChangeTokenSource<TOptions>(string name, ControlOverrides overrides) : IOptionsChangeTokenSource<TOptions>
{
    public string Name { get; } = name;

    public IChangeToken GetChangeToken() => overrides.Watch(Name);
}

/// <summary>A consumer control messages can reach: its name, and how to build its options (bound, overridden and validated).</summary>
internal sealed record ControlTarget(string Name, Func<IServiceProvider, object> BuildOptions);
