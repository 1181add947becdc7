using System.Collections;
using System.Text;

namespace Tmq;

/// <summary>
/// The headers of a message, in the order the broker delivered them. A name may appear more than
/// once (Kafka allows it); the lookup helpers return the last occurrence, as Kafka clients do.
/// </summary>
public sealed class TmqHeaders : IReadOnlyList<TmqHeader>
{
    private readonly List<TmqHeader> _items;
    private readonly bool _readOnly;

    /// <summary>An empty, read-only header collection shared by messages that carry none.</summary>
    public static TmqHeaders Empty { get; } = new(new List<TmqHeader>(0), readOnly: true);

    /// <summary>Creates an empty collection to add headers to.</summary>
    public TmqHeaders()
        : this(new List<TmqHeader>(), readOnly: false)
    {
    }

    private TmqHeaders(List<TmqHeader> items, bool readOnly)
    {
        _items = items;
        _readOnly = readOnly;
    }

    /// <inheritdoc />
    public int Count => _items.Count;

    /// <inheritdoc />
    public TmqHeader this[int index] => _items[index];

    /// <summary>Appends a header with a raw value.</summary>
    /// <exception cref="InvalidOperationException">This is <see cref="Empty"/>, which is shared and read-only.</exception>
    public TmqHeaders Add(string name, ReadOnlyMemory<byte> value)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        if (_readOnly)
        {
            throw new InvalidOperationException("TmqHeaders.Empty is shared and read-only; create a new TmqHeaders() to add headers.");
        }

        _items.Add(new TmqHeader(name, value));
        return this;
    }

    /// <summary>Appends a header whose value is the UTF-8 encoding of <paramref name="value"/>.</summary>
    public TmqHeaders Add(string name, string value) => Add(name, Encoding.UTF8.GetBytes(value));

    /// <summary>Finds the last header called <paramref name="name"/> (ordinal comparison).</summary>
    public bool TryGetLast(string name, out ReadOnlyMemory<byte> value)
    {
        for (var i = _items.Count - 1; i >= 0; i--)
        {
            if (string.Equals(_items[i].Name, name, StringComparison.Ordinal))
            {
                value = _items[i].Value;
                return true;
            }
        }

        value = default;
        return false;
    }

    /// <summary>The last header called <paramref name="name"/> decoded as UTF-8, or null when absent.</summary>
    public string? GetString(string name) =>
        TryGetLast(name, out var value) ? Encoding.UTF8.GetString(value.Span) : null;

    /// <inheritdoc />
    public IEnumerator<TmqHeader> GetEnumerator() => _items.GetEnumerator();

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();
}
