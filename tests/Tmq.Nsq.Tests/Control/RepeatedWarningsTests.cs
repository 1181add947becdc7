using Microsoft.Extensions.Time.Testing;
using Tmq.Nsq.Control;

namespace Tmq.Nsq.Tests.Control;

/// <summary>A status report failing every interval is said once per kind of failure per window, with how many were held back.</summary>
public sealed class RepeatedWarningsTests
{
    [Fact]
    public void Admit_LikeWarningsWithinTheWindow_LetsTheFirstThroughThenCountsTheRest()
    {
        var time = new FakeTimeProvider();
        var warnings = new RepeatedWarnings(time);

        Assert.True(warnings.Admit("127.0.0.1:4150: Connection refused", out var first));
        time.Advance(TimeSpan.FromSeconds(1));
        Assert.False(warnings.Admit("127.0.0.1:4150: Connection refused", out _));
        Assert.True(warnings.Admit("nsqd refused the message: E_UNAUTHORIZED", out _));
        time.Advance(TimeSpan.FromSeconds(1));
        Assert.False(warnings.Admit("127.0.0.1:4151: Connection refused", out _));
        time.Advance(RepeatedWarnings.Window);
        Assert.True(warnings.Admit("127.0.0.1:4150: Connection refused", out var later));

        Assert.Equal("127.0.0.1:4150: Connection refused", first);
        Assert.Equal("127.0.0.1:4150: Connection refused (2 more like it in the last 30 s not logged)", later);
    }

    [Fact]
    public void Admit_AfterClear_LetsTheSameWarningThrough()
    {
        var warnings = new RepeatedWarnings(new FakeTimeProvider());
        Assert.True(warnings.Admit("down", out _));

        warnings.Clear();

        Assert.True(warnings.Admit("down", out var text));
        Assert.Equal("down", text);
    }
}
