using System.Text;
using Tmq.Control;

namespace Tmq.Runtime.Tests.Control;

public sealed class ControlMessageTests
{
    [Fact]
    public void Encode_ThenDecode_GivesTheSameMessage()
    {
        var sent = new ControlMessage("shop.orders", "main", new Dictionary<string, string> { ["Paused"] = "true", ["Retry:MaxAttempts"] = "3" }, new DateTimeOffset(2026, 12, 7, 22, 0, 0, TimeSpan.Zero), "alice@ops");

        Assert.True(ControlMessage.TryDecode(sent.Encode(), out var read, out var error), error);

        Assert.Equal("shop.orders/main", read!.Key);
        Assert.Equal(sent.Service, read.Service);
        Assert.Equal(sent.Consumer, read.Consumer);
        Assert.Equal(sent.Settings.OrderBy(s => s.Key), read.Settings.OrderBy(s => s.Key));
        Assert.Equal(sent.SentAt, read.SentAt);
        Assert.Equal("alice@ops", read.SentBy);
    }

    [Fact]
    public void Decode_HandWritten_AcceptsNumbersBooleansAndOtherSpellings()
    {
        var json = """{"tmq":"control","version":1,"service":"shop.orders","settings":{"concurrency":64,"paused":true,"Retry__MaxAttempts":"2","retry.jitter":0.1},"later":"ignored"}""";

        Assert.True(ControlMessage.TryDecode(Encoding.UTF8.GetBytes(json), out var read, out var error), error);

        Assert.Null(read!.Consumer);
        Assert.Equal("shop.orders", read.Key);
        Assert.Equal("64", read.Settings["Concurrency"]);
        Assert.Equal("true", read.Settings["Paused"]);
        Assert.Equal("2", read.Settings["Retry:MaxAttempts"]);
        Assert.Equal("0.1", read.Settings["Retry:Jitter"]);
    }

    [Theory]
    [InlineData("not json", "not JSON")]
    [InlineData("[1,2]", "not a control message")]
    [InlineData("""{"tmq":"status","version":1,"service":"s","settings":{}}""", "not a control message")]
    [InlineData("""{"tmq":"control","service":"s","settings":{}}""", "\"version\" is missing")]
    [InlineData("""{"tmq":"control","version":3,"service":"s","settings":{}}""", "version 3")]
    [InlineData("""{"tmq":"control","version":1,"service":" ","settings":{}}""", "\"service\" is missing or empty")]
    [InlineData("""{"tmq":"control","version":1,"service":"s","consumer":5,"settings":{}}""", "\"consumer\" is neither null nor a name")]
    [InlineData("""{"tmq":"control","version":1,"service":"s"}""", "\"settings\" is missing")]
    [InlineData("""{"tmq":"control","version":1,"service":"s","settings":{"Topic":"x"}}""", "\"Topic\" is not a setting that can be changed live")]
    [InlineData("""{"tmq":"control","version":1,"service":"s","settings":{"Paused":null}}""", "\"Paused\" has no value")]
    [InlineData("""{"tmq":"control","version":1,"service":"s","settings":{"Paused":"true","paused":"false"}}""", "Paused is given twice")]
    public void Decode_NotAControlMessage_SaysWhy(string text, string expected)
    {
        Assert.False(ControlMessage.TryDecode(Encoding.UTF8.GetBytes(text), out var message, out var error));

        Assert.Null(message);
        Assert.Contains(expected, error, StringComparison.Ordinal);
    }

    [Fact]
    public void Decode_LargerThanTheLimit_IsRefusedUnread()
    {
        var bytes = new byte[ControlMessage.MaxBytes + 1];

        Assert.False(ControlMessage.TryDecode(bytes, out _, out var error));

        Assert.Contains("more than the 65536", error, StringComparison.Ordinal);
    }

    [Fact]
    public void ParseKey_SplitsServiceAndConsumer()
    {
        Assert.Equal(("shop.orders", (string?)null), ControlMessage.ParseKey("shop.orders"));
        Assert.Equal(("shop.orders", (string?)"main"), ControlMessage.ParseKey("shop.orders/main"));
    }
}
