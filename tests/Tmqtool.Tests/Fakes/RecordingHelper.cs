using Tmqtool.Helper;

namespace Tmqtool.Tests.Fakes;

/// <summary>A Kafka helper that records each request instead of running it.</summary>
internal sealed class RecordingHelper : IHelperRunner
{
    public List<string> Requests { get; } = [];

    public int ExitCode { get; init; }

    public int Run(HelperRequest request, CliEnvironment environment, TextWriter output, TextWriter error, CancellationToken stop = default)
    {
        Requests.Add(request.ToJson());
        return ExitCode;
    }
}
