namespace Tmq.Chaos.Tests;

/// <summary>A test's own folder, with the worker's record in it.</summary>
internal sealed class TempFolder : IDisposable
{
    public string Path { get; } = Directory.CreateTempSubdirectory("tmq-chaos-").FullName;

    public string Record => System.IO.Path.Combine(Path, "handled.txt");

    public void Dispose() => Directory.Delete(Path, recursive: true);
}
