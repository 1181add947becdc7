using System.Text;
using Tmq.Nsq.Envelope;

namespace Tmq.Nsq.Tests.Envelope;

/// <summary>The envelope is part of the wire format, so its tests sit with the protocol's.</summary>
public sealed class TmqEnvelopeTests
{
    [Fact]
    public void TryUnwrap_WrappedKeyHeadersAndBody_ReturnsThemInOrder()
    {
        var headers = new TmqHeaders()
            .Add("traceparent", "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01")
            .Add("tenant", new byte[] { 0x00, 0xff })
            .Add("tenant", "ü-second")
            .Add("empty", ReadOnlyMemory<byte>.Empty);

        var wrapped = TmqEnvelope.Wrap("order-7"u8, headers, "{\"total\":3}"u8);

        Assert.True(TmqEnvelope.TryUnwrap(wrapped, out var key, out var read, out var body));
        Assert.Equal("order-7", Encoding.UTF8.GetString(key.Span));
        Assert.Equal("{\"total\":3}", Encoding.UTF8.GetString(body.Span));
        Assert.Equal(["traceparent", "tenant", "tenant", "empty"], read.Select(h => h.Name));
        Assert.Equal(headers.Select(h => h.Value.ToArray()), read.Select(h => h.Value.ToArray()));
        Assert.Equal("ü-second", read.GetString("tenant"));
    }

    [Fact]
    public void Wrap_AnyEnvelope_StartsWithTheMagic()
    {
        var wrapped = TmqEnvelope.Wrap([], null, "x"u8);

        Assert.Equal(new byte[] { 0x00, (byte)'T', (byte)'M', (byte)'Q', 0x01 }, wrapped[..5]);
    }

    [Fact]
    public void TryUnwrap_EmptyKeyAndNoHeaders_ReturnsEmptyKeyNoHeadersAndTheBody()
    {
        var wrapped = TmqEnvelope.Wrap([], null, "body"u8);

        Assert.True(TmqEnvelope.TryUnwrap(wrapped, out var key, out var headers, out var body));
        Assert.True(key.IsEmpty);
        Assert.Empty(headers);
        Assert.Equal("body", Encoding.UTF8.GetString(body.Span));
    }

    [Fact]
    public void TryUnwrap_EmptyEverything_IsTheSmallestEnvelope()
    {
        var wrapped = TmqEnvelope.Wrap([], new TmqHeaders(), []);

        Assert.Equal(11, wrapped.Length);
        Assert.True(TmqEnvelope.TryUnwrap(wrapped, out _, out var headers, out var body));
        Assert.Empty(headers);
        Assert.True(body.IsEmpty);
    }

    [Theory]
    [InlineData("{\"order\":7}")]
    [InlineData("plain text")]
    [InlineData("")]
    public void TryUnwrap_PlainBody_ReturnsFalseAndEmptyOutputs(string plain)
    {
        Assert.False(TmqEnvelope.TryUnwrap(Encoding.UTF8.GetBytes(plain), out var key, out var headers, out var body));
        Assert.True(key.IsEmpty);
        Assert.Empty(headers);
        Assert.True(body.IsEmpty);
    }

    [Fact]
    public void TryUnwrap_OtherVersion_ReturnsFalse()
    {
        var wrapped = TmqEnvelope.Wrap("k"u8, null, "b"u8);
        wrapped[4] = 2;

        Assert.False(TmqEnvelope.TryUnwrap(wrapped, out _, out _, out _));
    }

    [Fact]
    public void TryUnwrap_TruncatedBeforeTheBody_ReturnsFalseAtEveryLength()
    {
        var headers = new TmqHeaders().Add("a", "1").Add("bb", "22");
        var wrapped = TmqEnvelope.Wrap("key"u8, headers, []);

        for (var length = 0; length < wrapped.Length; length++)
        {
            Assert.False(TmqEnvelope.TryUnwrap(wrapped.AsMemory(0, length), out var key, out var read, out var body), $"{length} of {wrapped.Length} bytes");
            Assert.True(key.IsEmpty);
            Assert.Empty(read);
            Assert.True(body.IsEmpty);
        }
    }

    [Fact]
    public void TryUnwrap_KeyLengthBeyondTheData_ReturnsFalse()
    {
        var wrapped = TmqEnvelope.Wrap("key"u8, null, "body"u8);
        wrapped[5] = 0xff;

        Assert.False(TmqEnvelope.TryUnwrap(wrapped, out _, out _, out _));
    }

    [Fact]
    public void TryUnwrap_CorruptedOrTruncatedEnvelopes_ReturnsWithoutThrowing()
    {
        var random = new Random(20240607);
        for (var i = 0; i < 3000; i++)
        {
            var headers = new TmqHeaders();
            for (var h = random.Next(0, 4); h > 0; h--)
            {
                headers.Add(new string('h', random.Next(1, 5)), new byte[random.Next(0, 6)]);
            }

            var bytes = TmqEnvelope.Wrap(new byte[random.Next(0, 6)], headers, new byte[random.Next(0, 6)]);
            for (var n = random.Next(0, 3); n > 0; n--)
            {
                bytes[random.Next(TmqEnvelope.Magic.Length, bytes.Length)] = (byte)random.Next(256);
            }

            bytes = bytes[..random.Next(bytes.Length + 1)];

            if (TmqEnvelope.TryUnwrap(bytes, out var key, out var read, out var body))
            {
                Assert.True(key.Length + body.Length + read.Sum(h => h.Value.Length) <= bytes.Length);
            }
        }
    }
}
