using System.Buffers;
using System.Text;
using Tmq.Nsq.Protocol;
using Tmq.Nsq.Tests.Fakes;

namespace Tmq.Nsq.Tests.Protocol;

public sealed class FrameReaderTests
{
    private const int Limit = 1024 * 1024;

    [Fact]
    public void TryRead_WholeFrame_ReturnsItAndConsumesIt()
    {
        var buffer = new ReadOnlySequence<byte>(NsqFrames.Response("OK"));

        Assert.True(FrameReader.TryRead(ref buffer, Limit, out var frame));

        Assert.Equal(FrameType.Response, frame.Type);
        Assert.Equal("OK"u8.ToArray(), frame.Data);
        Assert.True(buffer.IsEmpty);
    }

    [Fact]
    public void TryRead_TwoFramesAndPartOfAThird_ReturnsTwoAndKeepsTheRest()
    {
        var third = NsqFrames.Error("E_INVALID bad");
        byte[] bytes = [.. NsqFrames.Heartbeat(), .. NsqFrames.Message("0123456789abcdef", "hi"u8), .. third[..5]];
        var buffer = new ReadOnlySequence<byte>(bytes);

        Assert.True(FrameReader.TryRead(ref buffer, Limit, out var first));
        Assert.True(FrameReader.TryRead(ref buffer, Limit, out var second));
        Assert.False(FrameReader.TryRead(ref buffer, Limit, out _));

        Assert.True(first.IsHeartbeat);
        Assert.Equal(FrameType.Message, second.Type);
        Assert.Equal(third[..5], buffer.ToArray());
    }

    [Fact]
    public void TryRead_FrameSplitAcrossSegments_ReturnsTheSameFrame()
    {
        var bytes = NsqFrames.Response("CLOSE_WAIT");
        for (var a = 0; a <= bytes.Length; a++)
        {
            for (var b = a; b <= bytes.Length; b++)
            {
                var buffer = Segments.Split(bytes, a, b);

                Assert.True(FrameReader.TryRead(ref buffer, Limit, out var frame), $"cut at {a} and {b}");

                Assert.True(frame.IsCloseWait, $"cut at {a} and {b}");
                Assert.True(buffer.IsEmpty);
            }
        }
    }

    [Fact]
    public void TryRead_IncompleteFrame_ReturnsFalseAndLeavesTheBufferUnchanged()
    {
        var bytes = NsqFrames.Message("0123456789abcdef", "body"u8);
        for (var length = 0; length < bytes.Length; length++)
        {
            var buffer = Segments.Split(bytes[..length], length / 2);
            var before = buffer;

            Assert.False(FrameReader.TryRead(ref buffer, Limit, out _), $"{length} of {bytes.Length} bytes");

            Assert.Equal(before, buffer);
        }
    }

    [Fact]
    public void TryRead_EmptyData_ReturnsFrameWithNoData()
    {
        var buffer = new ReadOnlySequence<byte>(NsqFrames.Frame(NsqFrames.ResponseType, []));

        Assert.True(FrameReader.TryRead(ref buffer, Limit, out var frame));

        Assert.Empty(frame.Data);
    }

    [Theory]
    [InlineData(3)]
    [InlineData(0)]
    [InlineData(-1)]
    [InlineData(int.MinValue)]
    public void TryRead_SizeBelowFour_ThrowsNamingTheSize(int size)
    {
        var buffer = new ReadOnlySequence<byte>(NsqFrames.Header(size, NsqFrames.ResponseType));

        var error = Assert.Throws<NsqProtocolException>(() => FrameReader.TryRead(ref buffer, Limit, out _));

        Assert.Contains($"size {size}", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(3)]
    [InlineData(-1)]
    [InlineData(int.MaxValue)]
    public void TryRead_UnknownType_ThrowsNamingTheType(int type)
    {
        var buffer = new ReadOnlySequence<byte>(NsqFrames.Frame(type, "OK"u8));

        var error = Assert.Throws<NsqProtocolException>(() => FrameReader.TryRead(ref buffer, Limit, out _));

        Assert.Contains($"unknown type {type}", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void TryRead_SizeAtTheLimit_ReturnsTheFrame()
    {
        var buffer = new ReadOnlySequence<byte>(NsqFrames.Frame(NsqFrames.ResponseType, new byte[60]));

        Assert.True(FrameReader.TryRead(ref buffer, maxFrameBytes: 64, out var frame));

        Assert.Equal(60, frame.Data.Length);
    }

    [Fact]
    public void TryRead_SizeOverTheLimit_ThrowsNamingSizeTypeAndLimitBeforeTheDataArrives()
    {
        var buffer = new ReadOnlySequence<byte>(NsqFrames.Header(65, NsqFrames.MessageType));

        var error = Assert.Throws<NsqProtocolException>(() => FrameReader.TryRead(ref buffer, maxFrameBytes: 64, out _));

        Assert.Contains("65 bytes", error.Message, StringComparison.Ordinal);
        Assert.Contains("type 2", error.Message, StringComparison.Ordinal);
        Assert.Contains("limit of 64", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void TryRead_HugeSizeOverTheLimit_ThrowsWithoutAllocatingTheClaimedSize()
    {
        var header = NsqFrames.Header(int.MaxValue, NsqFrames.MessageType);
        AssertRejected(header);

        var allocated = GC.GetAllocatedBytesForCurrentThread();
        AssertRejected(header);
        allocated = GC.GetAllocatedBytesForCurrentThread() - allocated;

        Assert.True(allocated < 64 * 1024, $"Rejecting a header that claims {int.MaxValue} bytes allocated {allocated} bytes.");
    }

    [Fact]
    public void TryRead_LargeFrameStillArriving_DoesNotAllocateItsSize()
    {
        byte[] bytes = [.. NsqFrames.Header(Limit, NsqFrames.MessageType), .. new byte[100]];
        Incomplete(bytes);

        var allocated = GC.GetAllocatedBytesForCurrentThread();
        Incomplete(bytes);
        allocated = GC.GetAllocatedBytesForCurrentThread() - allocated;

        Assert.True(allocated < 64 * 1024, $"Waiting for the rest of a {Limit}-byte frame allocated {allocated} bytes.");

        static void Incomplete(byte[] bytes)
        {
            var buffer = new ReadOnlySequence<byte>(bytes);
            Assert.False(FrameReader.TryRead(ref buffer, Limit, out _));
        }
    }

    [Fact]
    public void Text_LongData_IsCutTo200Characters()
    {
        var frame = new Frame(FrameType.Error, Encoding.UTF8.GetBytes(new string('x', 500)));

        Assert.Equal(new string('x', 200) + "...", frame.Text);
    }

    [Fact]
    public void IsOk_ResponseOk_TrueOnlyForAResponse()
    {
        Assert.True(new Frame(FrameType.Response, "OK"u8.ToArray()).IsOk);
        Assert.False(new Frame(FrameType.Error, "OK"u8.ToArray()).IsOk);
        Assert.False(new Frame(FrameType.Message, "_heartbeat_"u8.ToArray()).IsHeartbeat);
    }

    private static void AssertRejected(byte[] bytes)
    {
        var buffer = new ReadOnlySequence<byte>(bytes);
        Assert.Throws<NsqProtocolException>(() => FrameReader.TryRead(ref buffer, Limit, out _));
    }
}
