using Tmqtool;

return Cli.Run(args, Console.Out, Console.Error);
