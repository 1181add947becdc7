using System.CommandLine;
using System.CommandLine.Help;
using System.CommandLine.Invocation;
using Tmqtool.Commands;

namespace Tmqtool;

/// <summary>The entry point: parses a command line and runs the verb, writing only to the writers given.</summary>
internal static class Cli
{
    private const string RootExamples = """
          tmqtool new --mqtype kafka --psm shop.orders.consumer --topic orders
          tmqtool dev kafka --topic orders:3
          tmqtool produce --bootstrap-servers 127.0.0.1:9092 --topic orders --key order-1 --value '{"id":1}'
          tmqtool tail --bootstrap-servers 127.0.0.1:9092 --topic orders.dlq --from-beginning
          tmqtool lag --bootstrap-servers 127.0.0.1:9092 --topic orders --group shop.orders.consumer
          tmqtool dlq replay --bootstrap-servers 127.0.0.1:9092 --topic orders.dlq --dry-run
          tmqtool pause --service shop.orders.consumer --bootstrap-servers 127.0.0.1:9092
          tmqtool set --service shop.orders.consumer --bootstrap-servers 127.0.0.1:9092 Concurrency=64
          tmqtool status --bootstrap-servers 127.0.0.1:9092
          tmqtool console --bootstrap-servers 127.0.0.1:9092
          tmqtool new --mqtype nsq --psm shop.orders.consumer --topic orders
          tmqtool dev nsq --topic orders
          tmqtool produce --nsqd 127.0.0.1:4150 --topic orders --value '{"id":1}'
          tmqtool lag --nsqd 127.0.0.1:4150 --topic orders
          tmqtool new --help
        """;

    private const string DevExamples = """
          tmqtool dev kafka --topic orders:3
          tmqtool dev nsq --topic orders
        """;

    /// <summary>Runs <paramref name="args"/> in the real process environment.</summary>
    internal static int Run(string[] args, TextWriter output, TextWriter error) =>
        Run(args, output, error, CliEnvironment.FromProcess());

    /// <summary>Runs <paramref name="args"/> against <paramref name="environment"/>; tests call this.</summary>
    internal static int Run(string[] args, TextWriter output, TextWriter error, CliEnvironment environment)
    {
        var newCommand = NewCommand.Create(environment);
        var devKafka = DevKafkaCommand.Create(environment);
        var devNsq = DevNsqCommand.Create(environment);
        var dev = new Command("dev", "Run a local broker for development.") { devKafka, devNsq };
        var produce = ProduceCommand.Create(environment);
        var tail = TailCommand.Create(environment);
        var lag = LagCommand.Create(environment);
        var dlqReplay = DlqReplayCommand.Create(environment);
        var dlq = new Command("dlq", "Work with dead-letter topics.") { dlqReplay };
        var pause = ControlCommand.CreatePause(environment);
        var resume = ControlCommand.CreateResume(environment);
        var set = ControlCommand.CreateSet(environment);
        var status = StatusCommand.Create(environment);
        var trace = TraceCommand.Create(environment);
        var console = ConsoleCommand.Create(environment);
        var root = new RootCommand("tmqtool: create and run consumer services for Kafka and NSQ.") { newCommand, dev, produce, tail, lag, dlq, pause, resume, set, status, trace, console };
        var help = root.Options.OfType<HelpOption>().Single();
        help.Action = new HelpWithExamplesAction(
            (HelpAction)help.Action!,
            new Dictionary<Command, string>
            {
                [root] = RootExamples,
                [newCommand] = NewCommand.Examples,
                [dev] = DevExamples,
                [devKafka] = DevKafkaCommand.Examples,
                [devNsq] = DevNsqCommand.Examples,
                [produce] = ProduceCommand.Examples,
                [tail] = TailCommand.Examples,
                [lag] = LagCommand.Examples,
                [dlq] = DlqReplayCommand.Examples,
                [dlqReplay] = DlqReplayCommand.Examples,
                [pause] = ControlCommand.PauseExamples,
                [resume] = ControlCommand.ResumeExamples,
                [set] = ControlCommand.SetExamples,
                [status] = StatusCommand.Examples,
                [trace] = TraceCommand.Examples,
                [console] = ConsoleCommand.Examples,
            });

        // "@file" arguments would make the parser read files named by the user; a scaffolder has no need.
        var parse = root.Parse(args, new ParserConfiguration { ResponseFileTokenReplacer = null });
        if (parse.Action is ParseErrorAction)
        {
            foreach (var parseError in parse.Errors)
            {
                // System.CommandLine names the CLR type ("as expected type 'System.Int32'").
                error.WriteLine("error: " + parseError.Message.Replace("as expected type 'System.Int32'", "as a whole number", StringComparison.Ordinal));
            }

            var verb = parse.CommandResult.Command == root ? "" : " " + parse.CommandResult.Command.Name;
            error.WriteLine($"Run 'tmqtool{verb} --help' for the options and examples.");
            return ExitCodes.InvalidInput;
        }

        try
        {
            return parse.Invoke(new InvocationConfiguration { Output = output, Error = error, EnableDefaultExceptionHandler = false });
        }
#pragma warning disable CA1031 // The last line of defence: any failure becomes a message and exit code 1, not a stack trace.
        catch (Exception e)
#pragma warning restore CA1031
        {
            error.WriteLine($"error: unexpected failure: {e.GetType().Name}: {e.Message}");
            error.WriteLine("Please report this with the command line you ran.");
            return ExitCodes.UnexpectedFailure;
        }
    }
}
