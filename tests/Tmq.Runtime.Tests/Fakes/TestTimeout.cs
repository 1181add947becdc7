namespace Tmq.Tests.Fakes;

/// <summary>Real-time ceilings for waits in tests: generous, so only a real hang trips them.</summary>
internal static class TestTimeout
{
    public static readonly TimeSpan Default = TimeSpan.FromSeconds(30);
}
