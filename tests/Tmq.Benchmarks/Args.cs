namespace Tmq.Benchmarks;

internal static class Args
{
    /// <summary>The value after <paramref name="name"/>, or null when the option is not given.</summary>
    public static string? Text(string[] args, string name)
    {
        var i = Array.IndexOf(args, name);
        return i >= 0 && i + 1 < args.Length ? args[i + 1] : null;
    }

    public static int Int(string[] args, string name, int fallback) =>
        int.TryParse(Text(args, name), out var value) ? value : fallback;
}
