using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Time.Testing;

namespace Tmq.Kafka.Tests.Logging;

public sealed class RepeatedLogFilterTests
{
    private const string Refused = "127.0.0.1:9092/bootstrap: Connect to ipv4#127.0.0.1:9092 failed: Connection refused (after 0ms in state CONNECT)";

    [Fact]
    public void Admit_IdenticalReportsWithinTheWindow_LogsTheFirstThenOnePerWindowWithTheCountHeldBack()
    {
        var time = new FakeTimeProvider();
        var filter = new RepeatedLogFilter(time);

        Assert.True(filter.Admit(LogLevel.Error, Refused, out var first));
        Assert.Equal(Refused, first);
        for (var i = 0; i < 40; i++)
        {
            time.Advance(TimeSpan.FromMilliseconds(100));
            Assert.False(filter.Admit(LogLevel.Error, Refused, out _));
        }

        time.Advance(RepeatedLogFilter.Window);
        Assert.True(filter.Admit(LogLevel.Error, Refused, out var next));
        Assert.Equal($"{Refused} (40 more like it in the last 30 s not logged)", next);

        time.Advance(RepeatedLogFilter.Window);
        Assert.True(filter.Admit(LogLevel.Error, Refused, out var quiet));
        Assert.Equal(Refused, quiet);
    }

    [Fact]
    public void Admit_DifferentReports_AreHeldBackEachOnItsOwn()
    {
        var filter = new RepeatedLogFilter(new FakeTimeProvider());

        Assert.True(filter.Admit(LogLevel.Warning, Refused, out _));
        Assert.True(filter.Admit(LogLevel.Warning, "1/1 brokers are down", out _));
        Assert.False(filter.Admit(LogLevel.Warning, Refused, out _));
        Assert.False(filter.Admit(LogLevel.Warning, "1/1 brokers are down", out _));
    }

    [Fact]
    public void Admit_ReportsThatDifferOnlyInTheirNumbers_CountAsOne()
    {
        var filter = new RepeatedLogFilter(new FakeTimeProvider());

        Assert.True(filter.Admit(LogLevel.Error, Refused, out _));
        Assert.False(filter.Admit(LogLevel.Error, Refused.Replace("after 0ms", "after 3ms", StringComparison.Ordinal), out _));
        Assert.True(filter.Admit(LogLevel.Error, Refused.Replace("Connection refused", "Connection reset", StringComparison.Ordinal), out _));
    }

    [Fact]
    public void Admit_LogLineAndErrorOfOneFailure_CountAsOne()
    {
        // librdkafka logs a failed connect ("[thrd:...]: " first), then reports it to the error callback.
        var filter = new RepeatedLogFilter(new FakeTimeProvider());

        Assert.True(filter.Admit(LogLevel.Error, "[thrd:127.0.0.1:9092/bootstrap]: " + Refused, out _));
        Assert.False(filter.Admit(LogLevel.Warning, Refused, out _));
    }

    [Fact]
    public void Admit_BelowWarning_AlwaysPasses()
    {
        var filter = new RepeatedLogFilter(new FakeTimeProvider());

        for (var i = 0; i < 3; i++)
        {
            Assert.True(filter.Admit(LogLevel.Debug, "Fetch topic orders [0] at offset 42", out var text));
            Assert.Equal("Fetch topic orders [0] at offset 42", text);
        }
    }
}
