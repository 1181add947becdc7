using System.Text;
using Tmq.Dispatch;

namespace Tmq.Tests.Dispatch;

/// <summary>The engine's table of keys with work: one state per distinct key bytes, gone once released.</summary>
public sealed class KeyTableTests
{
    [Fact]
    public void GetOrAdd_SameBytesFromAnotherBuffer_ReturnsTheSameState()
    {
        var table = new KeyTable();
        var first = table.GetOrAdd(Key("order-1"), KeyTable.Hash(Key("order-1").Span));

        var again = table.GetOrAdd(Key("order-1"), KeyTable.Hash(Key("order-1").Span));

        Assert.Same(first, again);
        Assert.Equal(1, table.Count);
    }

    [Fact]
    public void GetOrAdd_DifferentKeysWithOneHash_KeepsThemApart()
    {
        var table = new KeyTable();
        var a = table.GetOrAdd(Key("a"), 42);
        var b = table.GetOrAdd(Key("b"), 42);
        var c = table.GetOrAdd(Key("c"), 42);

        Assert.NotSame(a, b);
        Assert.Same(b, table.GetOrAdd(Key("b"), 42));
        table.Release(b);
        Assert.Same(a, table.GetOrAdd(Key("a"), 42));
        Assert.Same(c, table.GetOrAdd(Key("c"), 42));
        Assert.Equal(2, table.Count);
    }

    [Fact]
    public void GetOrAdd_ManyKeysAddedAndReleased_FindsEachRemainingKey()
    {
        var table = new KeyTable();
        var states = new KeyState[10_000];
        for (var i = 0; i < states.Length; i++)
        {
            states[i] = table.GetOrAdd(Key($"k{i}"), KeyTable.Hash(Key($"k{i}").Span));
        }

        for (var i = 0; i < states.Length; i += 2)
        {
            table.Release(states[i]);
        }

        Assert.Equal(states.Length / 2, table.Count);
        for (var i = 1; i < states.Length; i += 2)
        {
            Assert.Same(states[i], table.GetOrAdd(Key($"k{i}"), KeyTable.Hash(Key($"k{i}").Span)));
        }

        Assert.Equal(states.Length / 2, table.Count);
    }

    [Fact]
    public void Release_ThenAnotherKey_ReusesTheStateEmptied()
    {
        var table = new KeyTable();
        var state = table.GetOrAdd(Key("x"), KeyTable.Hash(Key("x").Span));
        state.Holder = new TmqMessage("t", Key("x"), ReadOnlyMemory<byte>.Empty);
        table.Release(state);

        var reused = table.GetOrAdd(Key("y"), KeyTable.Hash(Key("y").Span));

        Assert.Same(state, reused);
        Assert.Null(reused.Holder);
        Assert.Equal("y", Encoding.UTF8.GetString(reused.Key.Span));
        Assert.Equal(1, table.Count);
    }

    private static ReadOnlyMemory<byte> Key(string text) => Encoding.UTF8.GetBytes(text);
}
