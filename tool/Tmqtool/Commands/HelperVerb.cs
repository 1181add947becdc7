using System.CommandLine;
using Tmqtool.Helper;
using Tmqtool.Validation;

namespace Tmqtool.Commands;

/// <summary>What every verb run by the Kafka helper app does: validate into a request, or exit 2 with the reason.</summary>
internal static class HelperVerb
{
    public static int Run(CliEnvironment environment, ParseResult parse, Func<ParseResult, HelperRequest> createRequest)
    {
        var error = parse.InvocationConfiguration.Error;
        HelperRequest request;
        try
        {
            request = createRequest(parse);
        }
        catch (InputException e)
        {
            error.WriteLine("error: " + e.Message);
            return ExitCodes.InvalidInput;
        }

        return environment.Helper.Run(request, environment, parse.InvocationConfiguration.Output, error);
    }
}
