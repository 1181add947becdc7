using System.CommandLine;
using Tmqtool.Helper;
using Tmqtool.Nsq;
using Tmqtool.Validation;

namespace Tmqtool.Commands;

/// <summary>
/// A verb that works on either broker: Kafka (<c>--bootstrap-servers</c>) through the Kafka helper,
/// NSQ (<c>--nsqd</c> or <c>--lookupd</c>) in the tool itself. Bad input exits 2 before anything
/// connects; an NSQ run that cannot do its work exits 1 with the reason.
/// </summary>
internal sealed class BrokerVerb(Option<string> bootstrapServers)
{
    internal Option<string[]> Nsqd { get; } = NsqTarget.CreateNsqdOption();

    internal Option<string[]> Lookupd { get; } = NsqTarget.CreateLookupdOption();

    /// <summary>Runs <paramref name="kafka"/>'s request in the helper, or the NSQ run that <paramref name="nsq"/> validates into.</summary>
    internal int Run(
        CliEnvironment environment,
        ParseResult parse,
        Func<ParseResult, HelperRequest> kafka,
        Func<ParseResult, NsqTarget, Func<TextWriter, TextWriter, CancellationToken, Task<int>>> nsq,
        bool httpAllowed = false)
    {
        var output = parse.InvocationConfiguration.Output;
        var error = parse.InvocationConfiguration.Error;
        Func<TextWriter, TextWriter, CancellationToken, Task<int>> run;
        try
        {
            if (ReadNsq(parse, httpAllowed) is not { } target)
            {
                return HelperVerb.Run(environment, parse, kafka);
            }

            run = nsq(parse, target);
        }
        catch (InputException e)
        {
            error.WriteLine("error: " + e.Message);
            return ExitCodes.InvalidInput;
        }

        using var stop = environment.ListenForStop();
        try
        {
            return run(output, error, stop.Token).GetAwaiter().GetResult();
        }
        catch (NsqVerbException e)
        {
            error.WriteLine("error: " + e.Message);
            return ExitCodes.UnexpectedFailure;
        }
        catch (OperationCanceledException) when (stop.Token.IsCancellationRequested)
        {
            error.WriteLine("Stopped.");
            return ExitCodes.Success;
        }
    }

    /// <summary>The NSQ target given, or null for a Kafka run; refuses both brokers at once.</summary>
    internal NsqTarget? ReadNsq(ParseResult parse, bool httpAllowed = false)
    {
        var target = NsqTarget.Read(parse, Nsqd, Lookupd, httpAllowed);
        if (target is not null && parse.GetResult(bootstrapServers) is not null)
        {
            throw new InputException(
                $"{BootstrapServers.Option} and {(target.Lookupd.Count == 0 ? NsqTarget.NsqdOption : NsqTarget.LookupdOption)} are both given.",
                "one broker: --bootstrap-servers for Kafka, or --nsqd / --lookupd for NSQ",
                "keep the one for the broker the topic is on");
        }

        return target;
    }

    /// <summary>Refuses a Kafka-only option on an NSQ run.</summary>
    internal static void RefuseOnNsq(ParseResult parse, Option option, string why)
    {
        if (parse.GetResult(option) is { Implicit: false })
        {
            throw new InputException($"{option.Name} is a Kafka option, and this run is on NSQ.", why, $"leave {option.Name} out");
        }
    }

    /// <summary>Refuses an NSQ-only option on a Kafka run.</summary>
    internal static void RefuseOnKafka(ParseResult parse, Option option)
    {
        if (parse.GetResult(option) is { Implicit: false })
        {
            throw new InputException($"{option.Name} is an NSQ option, and this run is on Kafka (--bootstrap-servers).", "NSQ options go with --nsqd or --lookupd", $"leave {option.Name} out, or give --nsqd / --lookupd");
        }
    }
}
