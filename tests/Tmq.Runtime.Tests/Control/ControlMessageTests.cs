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

    [Fact]
    public void Merge_RoundTrips_WithTheSettingsItRemoves()
    {
        var sent = new ControlMessage("shop.orders", null, new Dictionary<string, string> { ["Paused"] = "true" }, DateTimeOffset.UtcNow, "ops", Merge: true, Unset: ["Concurrency"]);

        Assert.True(ControlMessage.TryDecode(sent.Encode(), out var read, out var error), error);

        Assert.True(read!.Merge);
        Assert.Equal(["Concurrency"], read.Unset);
    }

    [Theory]
    [InlineData("""{"tmq":"control","version":1,"service":"s","settings":{},"unset":["Paused"]}""", "without \"merge\": true")]
    [InlineData("""{"tmq":"control","version":1,"service":"s","settings":{},"merge":true,"unset":["Group"]}""", "names \"Group\", which is not a setting")]
    public void Decode_BadUnset_SaysWhy(string text, string expected)
    {
        Assert.False(ControlMessage.TryDecode(Encoding.UTF8.GetBytes(text), out _, out var error));

        Assert.Contains(expected, error, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("Concurrency", "0", "Concurrency is 0; it must be between 1 and")]
    [InlineData("Concurrency", "many", "Concurrency is \"many\", which is not a whole number")]
    [InlineData("Paused", "yes", "Paused is \"yes\", which is not a true or false")]
    [InlineData("Retry:Jitter", "2", "Retry:Jitter is 2")]
    [InlineData("Retry:OnExhausted", "Drop", "Retry:OnExhausted is \"Drop\", which is not a policy")]
    [InlineData("Retry:InitialDelay", "soon", "Retry:InitialDelay is \"soon\", which is not a time span")]
    public void Problems_BadValue_NamesTheSettingAndTheRule(string name, string value, string expected)
    {
        var problem = Assert.Single(ControlSettings.Problems(new Dictionary<string, string> { [name] = value }));

        Assert.StartsWith(expected, problem, StringComparison.Ordinal);
        Assert.DoesNotContain("appsettings.json", problem, StringComparison.Ordinal);
    }

    [Fact]
    public void Problems_GoodValues_None()
    {
        Assert.Empty(ControlSettings.Problems(new Dictionary<string, string> { ["Concurrency"] = "64", ["Paused"] = "true", ["Retry:MaxDelay"] = "00:01:00", ["Retry:OnExhausted"] = "Stop" }));
    }
}
