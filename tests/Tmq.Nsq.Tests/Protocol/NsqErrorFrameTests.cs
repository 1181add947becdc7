using System.Text;
using Tmq.Nsq.Protocol;

namespace Tmq.Nsq.Tests.Protocol;

public sealed class NsqErrorFrameTests
{
    [Theory]
    [InlineData("E_FIN_FAILED FIN 0a1b2c3d4e5f6789 failed ID not in flight", "E_FIN_FAILED")]
    [InlineData("E_REQ_FAILED REQ 0a1b2c3d4e5f6789 failed ID not in flight", "E_REQ_FAILED")]
    [InlineData("E_TOUCH_FAILED TOUCH 0a1b2c3d4e5f6789 failed ID not in flight", "E_TOUCH_FAILED")]
    public void IsFatal_LateFinReqOrTouch_IsFalse(string text, string code)
    {
        var error = NsqErrorFrame.Parse(Encoding.UTF8.GetBytes(text));

        Assert.Equal(code, error.Code);
        Assert.False(error.IsFatal);
    }

    [Theory]
    [InlineData("E_INVALID cannot SUB in current state")]
    [InlineData("E_BAD_TOPIC PUB topic name \"a b\" is not valid")]
    [InlineData("E_AUTH_FAILED AUTH failed")]
    [InlineData("E_BAD_PROTOCOL")]
    [InlineData("E_FIN_FAILEDX trailing")]
    public void IsFatal_AnyOtherCode_IsTrue(string text)
    {
        Assert.True(NsqErrorFrame.Parse(Encoding.UTF8.GetBytes(text)).IsFatal);
    }

    [Fact]
    public void Parse_CodeAndDescription_SplitsAtTheFirstSpace()
    {
        var error = NsqErrorFrame.Parse("E_INVALID invalid command FOO"u8.ToArray());

        Assert.Equal("E_INVALID", error.Code);
        Assert.Equal("invalid command FOO", error.Description);
        Assert.Equal("E_INVALID invalid command FOO", error.ToString());
    }

    [Fact]
    public void Parse_CodeOnly_HasAnEmptyDescription()
    {
        var error = NsqErrorFrame.Parse("E_BAD_PROTOCOL"u8.ToArray());

        Assert.Equal("E_BAD_PROTOCOL", error.Code);
        Assert.Equal(string.Empty, error.Description);
        Assert.Equal("E_BAD_PROTOCOL", error.ToString());
    }

    [Fact]
    public void Parse_HugeError_KeepsOnlyTheFirstKilobyte()
    {
        var error = NsqErrorFrame.Parse(Encoding.UTF8.GetBytes("E_INVALID " + new string('x', 100_000)));

        Assert.Equal("E_INVALID", error.Code);
        Assert.True(error.Description.Length < 1024);
    }
}
