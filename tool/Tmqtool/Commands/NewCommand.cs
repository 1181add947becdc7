using System.CommandLine;
using Tmqtool.Packaging;
using Tmqtool.Scaffolding;
using Tmqtool.Templates;
using Tmqtool.Validation;

namespace Tmqtool.Commands;

/// <summary><c>tmqtool new</c>: scaffolds a consumer service.</summary>
/// <remarks>
/// Options are instance fields, not static ones as in dotnet/sdk: each <see cref="Cli.Run(string[], TextWriter, TextWriter)"/>
/// builds its own tree, and a static option added to many trees would collect parents from every
/// one of them (and from parallel tests at once).
/// </remarks>
internal sealed class NewCommand
{
    internal const string Examples = """
          tmqtool new --mqtype kafka --psm shop.orders.consumer --topic orders
          tmqtool new --mqtype kafka --psm shop.orders.consumer --topic orders --group orders-indexer --name Shop.Indexer -o ./indexer
          tmqtool new --mqtype nsq --psm shop.orders.consumer --topic orders --channel search
          tmqtool new --type mqserver --pre github.com/shop/orders-consumer --psm shop.orders.consumer --topic orders --mqtype nsq
          tmqtool new --mqtype kafka --psm shop.orders.consumer --topic orders --dry-run
        """;

    private readonly Option<string> _type = new("--type")
    {
        Description = "The kind of project: mqserver (a consumer worker service).",
        DefaultValueFactory = _ => ScaffoldSettingsFactory.KnownTypes[0],
        HelpName = "type",
    };

    private readonly Option<string> _mqType = new("--mqtype")
    {
        Description = "The message queue: kafka or nsq. Required.",
        HelpName = "kafka|nsq",
    };

    private readonly Option<string> _psm = new("--psm")
    {
        Description = "The service name, e.g. shop.orders.consumer: lowercase segments separated by '.'. Required.",
        HelpName = "a.b.c",
    };

    private readonly Option<string> _topic = new("--topic")
    {
        Description = "The topic to consume. Required.",
        HelpName = "topic",
    };

    private readonly Option<string> _group = new("--group")
    {
        Description = "Kafka consumer group. Default: the PSM.",
        HelpName = "group",
    };

    private readonly Option<string> _channel = new("--channel")
    {
        Description = "NSQ channel. Default: the PSM.",
        HelpName = "channel",
    };

    private readonly Option<string> _name = new("--name")
    {
        Description = "Project name and root namespace. Default: the PSM in PascalCase (shop.orders.consumer -> Shop.Orders.Consumer).",
        HelpName = "Project.Name",
    };

    private readonly Option<string> _output = new("--output", "-o")
    {
        Description = "Folder to create the project in. Default: ./<name>.",
        HelpName = "dir",
    };

    private readonly Option<bool> _force = new("--force")
    {
        Description = "Write into a folder that is not empty, overwriting the generated files (others are left alone).",
    };

    private readonly Option<bool> _dryRun = new("--dry-run")
    {
        Description = "List the files that would be written, and write nothing.",
    };

    private readonly Option<string> _feed = new("--feed")
    {
        Description = "Restore the Tmq packages from this NuGet feed URL or folder instead of the copies the tool carries.",
        HelpName = "url|dir",
    };

    private readonly Option<string> _repository = new(RepositoryPath.Option)
    {
        Description = "The service's repository, as a Go import path (github.com/shop/orders-consumer) or an https URL: the project's RepositoryUrl and the Docker image's org.opencontainers.image.source label. Default: none.",
        HelpName = "repo",
    };

    private readonly CliEnvironment _environment;

    private NewCommand(CliEnvironment environment) => _environment = environment;

    internal static Command Create(CliEnvironment environment)
    {
        var verb = new NewCommand(environment);
        var command = new Command("new", "Create a consumer service whose only business code is MessageHandler.")
        {
            verb._type, verb._mqType, verb._psm, verb._topic, verb._group, verb._channel,
            verb._name, verb._output, verb._force, verb._dryRun, verb._feed, verb._repository,
        };
        command.SetAction(verb.Execute);
        return command;
    }

    private int Execute(ParseResult parse)
    {
        var output = parse.InvocationConfiguration.Output;
        var error = parse.InvocationConfiguration.Error;
        var request = new NewRequest(
            parse.GetValue(_type),
            parse.GetValue(_mqType),
            parse.GetValue(_psm),
            parse.GetValue(_topic),
            parse.GetValue(_group),
            parse.GetValue(_channel),
            parse.GetValue(_name),
            parse.GetValue(_output),
            parse.GetValue(_feed),
            parse.GetValue(_repository));
        var force = parse.GetValue(_force);
        var dryRun = parse.GetValue(_dryRun);

        ScaffoldSettings settings;
        IReadOnlyList<GeneratedFile> files;
        IReadOnlyList<string> paths;
        try
        {
            settings = ScaffoldSettingsFactory.Create(request, _environment);
            files = Scaffolder.Render(settings);
            paths = OutputWriter.Plan(settings.OutputDirectory, files, force);
        }
        catch (InputException e)
        {
            error.WriteLine("error: " + e.Message);
            return ExitCodes.InvalidInput;
        }
        catch (TemplateValueException e)
        {
            error.WriteLine("error: " + e.Message);
            return ExitCodes.UnexpectedFailure;
        }

        var missing = Scaffolder.BundledPackages(settings).Missing;
        if (missing.Count > 0)
        {
            error.WriteLine(
                $"warning: this tmqtool carries no {string.Join(" or ", missing)} {settings.Versions.Tmq} package (a development build?), so the project will not restore from {PackageFeed.LocalFolder}/ yet."
                + $" Put the packages there (dotnet pack runtime -c Release -o <project>/{PackageFeed.LocalFolder}), or generate again with --feed <folder|url>.");
        }

        if (dryRun)
        {
            output.WriteLine($"Would create {files.Count} files in {Escape.Shell(settings.OutputDirectory)} (dry run: nothing was written):");
            ListFiles(output, files);
            return ExitCodes.Success;
        }

        try
        {
            OutputWriter.Write(files, paths);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            error.WriteLine($"error: writing {Escape.Shell(settings.OutputDirectory)} failed: {e.Message} Generated files written before the failure are left in place; fix the cause and run again with --force.");
            return ExitCodes.UnexpectedFailure;
        }

        output.WriteLine($"Created the {(settings.MqType == MqType.Kafka ? "Kafka" : "NSQ")} consumer service {settings.Name} in {Escape.Shell(settings.OutputDirectory)}:");
        ListFiles(output, files);
        output.WriteLine();
        output.WriteLine("Next:");
        output.WriteLine($"  cd {Escape.Shell(settings.OutputDirectory)}");
        output.WriteLine("  dotnet test                          # MessageHandler's tests, no broker needed");
        output.WriteLine(settings.MqType == MqType.Kafka
            ? $"  tmqtool dev kafka --port 9092 --topic {Escape.Shell(settings.Topic + ":3")}   # another terminal: a local broker where appsettings.Development.json looks"
            : $"  tmqtool dev nsq --topic {Escape.Shell(settings.Topic)}   # another terminal: a development nsqd and nsqlookupd where appsettings.json looks");

        output.WriteLine($"  dotnet run --project src/{settings.Name}   # see README.md for the broker");
        return ExitCodes.Success;
    }

    private static void ListFiles(TextWriter output, IReadOnlyList<GeneratedFile> files)
    {
        foreach (var file in files)
        {
            output.WriteLine("  " + file.RelativePath);
        }
    }
}
