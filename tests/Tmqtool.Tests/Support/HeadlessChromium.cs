using Microsoft.Playwright;

namespace Tmqtool.Tests.Support;

/// <summary>
/// Debian's chromium (<c>apt-get install chromium</c>), driven by Playwright: the package's driver
/// only, never a browser it downloads. <c>CHROMIUM_PATH</c> names another chromium.
/// </summary>
internal static class HeadlessChromium
{
    internal static string? Executable { get; } =
        Environment.GetEnvironmentVariable("CHROMIUM_PATH") is { Length: > 0 } path ? path
        : File.Exists("/usr/bin/chromium") ? "/usr/bin/chromium"
        : null;

    /// <summary>Starts it headless, without the background traffic a closed network refuses, and without the sandbox root cannot have.</summary>
    internal static Task<IBrowser> LaunchAsync(IPlaywright playwright) =>
        playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
        {
            ExecutablePath = Executable ?? throw new InvalidOperationException("No chromium: install it with apt-get install chromium."),
            Headless = true,
            ChromiumSandbox = false,
            Args = ["--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"],
        });
}

/// <summary>A slow theory that needs chromium: skipped, saying how to get it, where there is none.</summary>
public sealed class ChromiumTheoryAttribute : TheoryAttribute
{
    public ChromiumTheoryAttribute() =>
        Skip = SlowFactAttribute.SkipReason
            ?? (HeadlessChromium.Executable is null ? "chromium is not installed: apt-get install chromium (or set CHROMIUM_PATH) to test the console's page in a real browser." : null);
}
