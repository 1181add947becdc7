using System.Runtime.InteropServices;

namespace Tmq.Dispatch;

/// <summary>
/// The keys that have work in the engine. A key is present only while it holds messages, so the
/// table stays as small as the buffer however many distinct keys a topic has. Released
/// <see cref="KeyState"/> objects are pooled: a steady stream of short-lived keys allocates nothing.
/// </summary>
internal sealed class KeyTable
{
    private readonly Dictionary<ReadOnlyMemory<byte>, KeyState> _keys = new(KeyComparer.Instance);
    private readonly Stack<KeyState> _pool = new();

    public int Count => _keys.Count;

    public KeyState GetOrAdd(ReadOnlyMemory<byte> key)
    {
        ref var slot = ref CollectionsMarshal.GetValueRefOrAddDefault(_keys, key, out var exists);
        if (!exists)
        {
            slot = _pool.Count > 0 ? _pool.Pop() : new KeyState { Pooled = true };
            slot.Key = key;
        }

        return slot!;
    }

    public void Release(KeyState state)
    {
        _keys.Remove(state.Key);
        state.Key = default;
        state.Holder = null;
        _pool.Push(state);
    }

    private sealed class KeyComparer : IEqualityComparer<ReadOnlyMemory<byte>>
    {
        public static readonly KeyComparer Instance = new();

        public bool Equals(ReadOnlyMemory<byte> x, ReadOnlyMemory<byte> y) => x.Span.SequenceEqual(y.Span);

        public int GetHashCode(ReadOnlyMemory<byte> obj)
        {
            var hash = default(HashCode);
            hash.AddBytes(obj.Span);
            return hash.ToHashCode();
        }
    }
}
