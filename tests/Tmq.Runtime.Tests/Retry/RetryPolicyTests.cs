using Tmq.Retry;

namespace Tmq.Tests.Retry;

public sealed class RetryPolicyTests
{
    private static readonly RetryOptions Options = new()
    {
        InitialDelay = TimeSpan.FromMilliseconds(100),
        Multiplier = 2,
        MaxDelay = TimeSpan.FromSeconds(1),
        Jitter = 0.2,
    };

    [Theory]
    [InlineData(1, 100)]
    [InlineData(2, 200)]
    [InlineData(3, 400)]
    [InlineData(4, 800)]
    [InlineData(5, 1000)]
    [InlineData(30, 1000)]
    public void Delay_MiddleOfJitterRange_IsExponentialAndCapped(int attempt, int expectedMs)
    {
        Assert.Equal(TimeSpan.FromMilliseconds(expectedMs), RetryPolicy.Delay(Options, attempt, random: 0.5));
    }

    [Theory]
    [InlineData(0.0)]
    [InlineData(0.25)]
    [InlineData(0.999999)]
    public void Delay_AnyRandomDraw_StaysWithinJitterBounds(double random)
    {
        for (var attempt = 1; attempt <= 6; attempt++)
        {
            var nominal = Math.Min(100 * Math.Pow(2, attempt - 1), 1000);
            var delay = RetryPolicy.Delay(Options, attempt, random).TotalMilliseconds;
            Assert.InRange(delay, nominal * 0.8 - 0.001, Math.Min(nominal * 1.2, 1000) + 0.001);
            Assert.True(delay <= 1000, $"attempt {attempt}: {delay} ms exceeds MaxDelay");
        }
    }

    [Fact]
    public void Delay_ExtremeDraws_HitBothEndsOfTheRange()
    {
        Assert.Equal(80, RetryPolicy.Delay(Options, 1, random: 0).TotalMilliseconds, precision: 3);
        Assert.Equal(120, RetryPolicy.Delay(Options, 1, random: 1).TotalMilliseconds, precision: 3);
    }

    [Fact]
    public void IsPermanent_ConfiguredTypeOrSubtype_IsPermanent()
    {
        var options = new RetryOptions { PermanentExceptions = { "System.ArgumentException" } };
        Assert.True(RetryPolicy.IsPermanent(new ArgumentNullException("x"), options));
        Assert.True(RetryPolicy.IsPermanent(new PermanentFailureException(), options));
        Assert.False(RetryPolicy.IsPermanent(new InvalidOperationException(), options));
    }
}
