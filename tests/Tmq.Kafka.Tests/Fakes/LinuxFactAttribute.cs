namespace Tmq.Kafka.Tests.Fakes;

/// <summary>
/// A test of something only Linux has; elsewhere it is reported as skipped with the reason instead
/// of passing without checking anything. xunit 2 decides skips when it discovers tests, so the
/// attribute decides, not the test body.
/// </summary>
public sealed class LinuxFactAttribute : FactAttribute
{
    public LinuxFactAttribute(string why)
    {
        if (!OperatingSystem.IsLinux())
        {
            Skip = $"Linux only: {why}";
        }
    }
}
