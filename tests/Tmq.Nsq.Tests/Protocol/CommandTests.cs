using System.Buffers;
using System.Text;
using Tmq.Nsq.Protocol;

namespace Tmq.Nsq.Tests.Protocol;

/// <summary>The exact bytes of each command, as the NSQ TCP protocol spec lays them out.</summary>
public sealed class CommandTests
{
    private static readonly byte[] Id = "0a1b2c3d4e5f6789"u8.ToArray();

    [Fact]
    public void Identify_Json_WritesLineSizeAndJson()
    {
        var bytes = Write(o => Command.Identify(o, "{\"a\":1}"u8));

        Assert.Equal([.. "IDENTIFY\n"u8, 0, 0, 0, 7, .. "{\"a\":1}"u8], bytes);
    }

    [Fact]
    public void Auth_Secret_WritesLineSizeAndSecret()
    {
        var bytes = Write(o => Command.Auth(o, "s3cret"u8));

        Assert.Equal([.. "AUTH\n"u8, 0, 0, 0, 6, .. "s3cret"u8], bytes);
    }

    [Fact]
    public void Sub_TopicAndChannel_WritesOneLine()
    {
        Assert.Equal("SUB orders workers#ephemeral\n", Text(o => Command.Sub(o, "orders", "workers#ephemeral")));
    }

    [Theory]
    [InlineData(0, "RDY 0\n")]
    [InlineData(2500, "RDY 2500\n")]
    public void Rdy_Count_WritesOneLine(long count, string expected)
    {
        Assert.Equal(expected, Text(o => Command.Rdy(o, count)));
    }

    [Fact]
    public void FinTouchReq_Id_WriteOneLineEach()
    {
        Assert.Equal("FIN 0a1b2c3d4e5f6789\n", Text(o => Command.Fin(o, Id)));
        Assert.Equal("TOUCH 0a1b2c3d4e5f6789\n", Text(o => Command.Touch(o, Id)));
        Assert.Equal("REQ 0a1b2c3d4e5f6789 1500\n", Text(o => Command.Req(o, Id, 1500)));
    }

    [Fact]
    public void NopAndCls_WriteTheBareWord()
    {
        Assert.Equal("NOP\n", Text(Command.Nop));
        Assert.Equal("CLS\n", Text(Command.Cls));
    }

    [Fact]
    public void Pub_Body_WritesLineSizeAndBody()
    {
        var body = new byte[300];
        body[0] = 0xff;

        var bytes = Write(o => Command.Pub(o, "orders", body));

        Assert.Equal([.. "PUB orders\n"u8, 0, 0, 1, 44, .. body], bytes);
    }

    [Fact]
    public void Dpub_DeferAndBody_WritesLineWithDeferSizeAndBody()
    {
        var bytes = Write(o => Command.Dpub(o, "orders", 60000, "hi"u8));

        Assert.Equal([.. "DPUB orders 60000\n"u8, 0, 0, 0, 2, .. "hi"u8], bytes);
    }

    [Fact]
    public void Mpub_Bodies_WritesTotalSizeCountAndEachSizedBody()
    {
        ReadOnlyMemory<byte>[] bodies = ["ab"u8.ToArray(), Array.Empty<byte>(), "cde"u8.ToArray()];

        var bytes = Write(o => Command.Mpub(o, "orders", bodies));

        // Total = count word (4) + 3 size words (12) + 5 body bytes = 21.
        byte[] expected =
        [
            .. "MPUB orders\n"u8,
            0, 0, 0, 21,
            0, 0, 0, 3,
            0, 0, 0, 2, .. "ab"u8,
            0, 0, 0, 0,
            0, 0, 0, 3, .. "cde"u8,
        ];
        Assert.Equal(expected, bytes);
    }

    [Fact]
    public void Mpub_NoBodies_Throws()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => Write(o => Command.Mpub(o, "orders", [])));
    }

    [Fact]
    public void Commands_OneAfterAnother_AppendToTheSameWriter()
    {
        var bytes = Write(o =>
        {
            Command.Sub(o, "t", "c");
            Command.Rdy(o, 1);
            Command.Fin(o, Id);
        });

        Assert.Equal("SUB t c\nRDY 1\nFIN 0a1b2c3d4e5f6789\n", Encoding.ASCII.GetString(bytes));
    }

    private static byte[] Write(Action<IBufferWriter<byte>> command)
    {
        // A small initial capacity makes every GetSpan grow the buffer, as a pipe's segments would.
        var output = new ArrayBufferWriter<byte>(1);
        command(output);
        return output.WrittenSpan.ToArray();
    }

    private static string Text(Action<IBufferWriter<byte>> command) => Encoding.ASCII.GetString(Write(command));
}
