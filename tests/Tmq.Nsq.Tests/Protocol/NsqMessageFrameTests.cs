using System.Text;
using Tmq.Nsq.Protocol;
using Tmq.Nsq.Tests.Fakes;

namespace Tmq.Nsq.Tests.Protocol;

public sealed class NsqMessageFrameTests
{
    [Fact]
    public void Parse_MessageData_ReadsTimestampAttemptsIdAndBody()
    {
        var sent = new DateTimeOffset(2024, 6, 7, 8, 9, 10, TimeSpan.Zero).AddTicks(1234567);
        var nanoseconds = (sent - DateTimeOffset.UnixEpoch).Ticks * 100 + 42;
        var data = NsqFrames.MessageData("0a1b2c3d4e5f6789"u8, "{\"order\":7}"u8, attempts: 65535, nanoseconds);

        var message = NsqMessageFrame.Parse(data);

        Assert.Equal(nanoseconds, message.TimestampNanoseconds);
        Assert.Equal(sent, message.Timestamp);
        Assert.Equal(65535, message.Attempts);
        Assert.Equal("0a1b2c3d4e5f6789", message.IdString);
        Assert.Equal("0a1b2c3d4e5f6789"u8.ToArray(), message.Id.ToArray());
        Assert.Equal("{\"order\":7}", Encoding.UTF8.GetString(message.Body.Span));
    }

    [Fact]
    public void Parse_HeaderOnly_HasAnEmptyBody()
    {
        var message = NsqMessageFrame.Parse(NsqFrames.MessageData("0000000000000001"u8, [], attempts: 1));

        Assert.True(message.Body.IsEmpty);
        Assert.Equal(1, message.Attempts);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(10)]
    [InlineData(25)]
    public void Parse_ShorterThanAHeader_ThrowsNamingTheLength(int length)
    {
        var data = NsqFrames.MessageData("0000000000000001"u8, [])[..length];

        var error = Assert.Throws<NsqProtocolException>(() => NsqMessageFrame.Parse(data));

        Assert.Contains($"{length} bytes", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(0x20)]
    [InlineData(0x00)]
    [InlineData(0x7f)]
    [InlineData(0xff)]
    public void Parse_IdWithANonPrintableByte_ThrowsNamingTheByte(byte bad)
    {
        var id = "0000000000000001"u8.ToArray();
        id[7] = bad;

        var error = Assert.Throws<NsqProtocolException>(() => NsqMessageFrame.Parse(NsqFrames.MessageData(id, "body"u8)));

        Assert.Contains($"0x{bad:x2}", error.Message, StringComparison.Ordinal);
    }
}
