using System.Text.Json.Nodes;

namespace Tmqtool.Helper;

/// <summary>One run of the Kafka helper app: a verb and its validated arguments, passed as one JSON argument.</summary>
/// <param name="Verb">The helper's verb: dev-kafka, produce or tail.</param>
/// <param name="Arguments">The validated arguments; <see cref="Verb"/> is added when serialized.</param>
internal sealed record HelperRequest(string Verb, JsonObject Arguments)
{
    internal string ToJson()
    {
        var json = new JsonObject { ["verb"] = Verb };
        foreach (var (name, value) in Arguments)
        {
            json[name] = value?.DeepClone();
        }

        return json.ToJsonString();
    }
}

/// <summary>Runs the helper app; tests replace it to see the request without starting a process.</summary>
internal interface IHelperRunner
{
    /// <summary>
    /// Runs <paramref name="request"/> to its end, forwarding output, and returns the verb's exit code.
    /// <paramref name="stop"/> stops it as Ctrl+C does (for a verb that runs until stopped).
    /// </summary>
    int Run(HelperRequest request, CliEnvironment environment, TextWriter output, TextWriter error, CancellationToken stop = default);
}
