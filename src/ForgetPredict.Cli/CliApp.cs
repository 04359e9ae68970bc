using System.CommandLine;
using System.CommandLine.Parsing;
using ForgetPredict.Application;
using ForgetPredict.Cli.Commands;
using ForgetPredict.Core.Models;
using ForgetPredict.Data;

namespace ForgetPredict.Cli;

/// <summary>Builds the <c>forgetpredict</c> command tree and runs it with exit codes 0 (ok), 1 (bad data), 2 (usage error: a command
/// line that does not parse, or a value the parser or the library refuses, see <see cref="Failures.IsInvalidSetting"/>).</summary>
public static class CliApp
{
    /// <summary>Exit code for success.</summary>
    public const int Ok = 0;

    /// <summary>Exit code for bad data: a file the command cannot use.</summary>
    public const int DataError = 1;

    /// <summary>Exit code for a usage error: a command line that does not parse, or an option value the parser or the library refuses.</summary>
    public const int UsageError = 2;

    /// <summary>The root command with every verb.</summary>
    public static RootCommand BuildRoot()
    {
        var root = new RootCommand("ForgetPredict: predict which upstream examples a fine-tune will make a language model forget, from a few measured cells and past tasks' forgetting.")
        {
            HelpName = "forgetpredict",
        };
        root.Subcommands.Add(AnalyzeCommand.Create());
        root.Subcommands.Add(FitCommand.Create());
        root.Subcommands.Add(PredictCommand.Create());
        root.Subcommands.Add(ReplayCommand.Create());
        root.Subcommands.Add(DesignCommand.Create());
        root.Subcommands.Add(SynthCommand.Create());
        root.Subcommands.Add(EvaluateCommand.Create());
        root.Subcommands.Add(DemoCommand.Create());
        root.Subcommands.Add(ConvertCommand.Create());
        root.Subcommands.Add(ServeCommand.Create());
        NumberOptions.Apply(root);
        return root;
    }

    /// <summary>Parses and runs <paramref name="args"/>, writing to the given writers; returns the exit code.</summary>
    public static async Task<int> RunAsync(string[] args, TextWriter output, TextWriter error, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(output);
        ArgumentNullException.ThrowIfNull(error);
        var root = BuildRoot();
        var parse = root.Parse(args);
        if (CommandWord(parse) is { } word)
        {
            if (!string.Equals(word.Value, "help", StringComparison.OrdinalIgnoreCase))
            {
                // Before --help too: 'fitt --help' would otherwise print the top-level help and exit 0, as if it had worked.
                return await UnknownCommand(word.Value).ConfigureAwait(false);
            }

            // 'help' and 'help COMMAND' are '--help' and 'COMMAND --help'.
            parse = root.Parse([.. parse.Tokens.Where(t => !ReferenceEquals(t, word)).Select(t => t.Value), "--help"]);
            if (CommandWord(parse) is { } helpWord)
            {
                return await UnknownCommand(helpWord.Value).ConfigureAwait(false);
            }
        }

        if (parse.Errors.Count > 0)
        {
            // One line per problem, the first only when one option fails twice (a parse error, then its range check); a reworded
            // error first ('forgetpredict --foo' is a wrong option before it is a missing command).
            var messages = parse.Errors.Select(e => (Original: e.Message, Message: Reworded(parse, e)))
                .OrderBy(e => e.Message == e.Original ? 1 : 0)
                .Select(e => OneLine(e.Message));
            foreach (var message in messages.Distinct().Take(1))
            {
                await error.WriteLineAsync($"error: {message}").ConfigureAwait(false);
            }

            await error.WriteLineAsync("Run 'forgetpredict --help' (or 'forgetpredict COMMAND --help') for usage.").ConfigureAwait(false);
            return UsageError;
        }

        if ((Companions.Refused(parse) ?? OutputFiles.Refused(parse) ?? OutputFiles.Clash(parse) ?? OutputFiles.ModelName(parse)) is { } clash)
        {
            await error.WriteLineAsync($"error: {clash}").ConfigureAwait(false);
            return UsageError;
        }

        if (OutputFiles.ToStandardOutput(parse))
        {
            // An output written to standard output (--json /dev/stdout) is the whole of it: the report goes to standard error.
            output = error;
        }

        // Ctrl+C, SIGTERM, SIGHUP and SIGQUIT stop a command at once, its writes in flight deleted first (the library registers
        // no handler unless the application opts in): System.CommandLine's default would instead cancel a token none of the
        // batch commands watches and let the command run on, and finish its outputs, for up to two seconds. 'serve' is an
        // ASP.NET Core host: it keeps the token and its own graceful shutdown, in which requests finish their writes.
        var serve = parse.CommandResult.Command.Name == "serve";
        using var signals = serve ? null : TemporaryFiles.DeleteOnTerminationSignals();
        try
        {
            var configuration = new InvocationConfiguration { Output = output, Error = error, EnableDefaultExceptionHandler = false };
            if (!serve)
            {
                configuration.ProcessTerminationTimeout = null;
            }

            return await parse.InvokeAsync(configuration, cancellationToken).ConfigureAwait(false);
        }
        catch (ForgettingDataException e)
        {
            // Bad data, unless the file contradicts an option given (drop --layout): then the command line is to fix.
            await error.WriteLineAsync($"error: {Flags.Describe(e)}").ConfigureAwait(false);
            return Failures.IsInvalidSetting(e) ? UsageError : DataError;
        }
        catch (ArgumentException e)
        {
            // One rule for every command: a value the library refuses is a usage error, as one the parser refuses is.
            await error.WriteLineAsync($"error: {Flags.Describe(e)}").ConfigureAwait(false);
            return Failures.IsInvalidSetting(e) ? UsageError : DataError;
        }
        catch (CliException e)
        {
            await error.WriteLineAsync($"error: {e.Message}").ConfigureAwait(false);
            return e.ExitCode;
        }

        async Task<int> UnknownCommand(string word)
        {
            var names = root.Subcommands.Where(c => !c.Hidden).Select(c => c.Name);
            await error.WriteLineAsync($"error: unknown command '{word}'{Suggestion.AndList(word, names, "commands")}").ConfigureAwait(false);
            await error.WriteLineAsync("Run 'forgetpredict --help' for usage.").ConfigureAwait(false);
            return UsageError;
        }
    }

    // The first word of the command line when it names no command ('fitt', 'FIT', 'help'), else null (the root takes no arguments).
    private static Token? CommandWord(ParseResult parse) =>
        parse.Tokens.Count > 0 && parse.Tokens[0] is { Type: TokenType.Argument } word && !word.Value.StartsWith('-') ? word : null;

    // System.CommandLine's "Unrecognized command or argument '--methd'" names neither the command nor the option meant, and
    // '--method --out x.fpm' takes '--out' as the method and then calls 'x.fpm' unrecognized: say what was wrong instead.
    private static string Reworded(ParseResult parse, ParseError error)
    {
        var command = parse.CommandResult.Command;
        var options = new List<Option>(command.Options);
        for (var parent = parse.CommandResult.Parent; parent is not null; parent = parent.Parent)
        {
            if (parent is CommandResult { Command: var ancestor })
            {
                options.AddRange(ancestor.Options.Where(o => o.Recursive));
            }
        }

        options.RemoveAll(o => o.Hidden);
        var flags = options.SelectMany(o => o.Aliases.Prepend(o.Name)).ToList();
        foreach (var result in parse.CommandResult.Children.OfType<OptionResult>())
        {
            if (result.Option.Arity.MinimumNumberOfValues > 0
                && result.Tokens.FirstOrDefault(t => flags.Contains(t.Value, StringComparer.Ordinal)) is { } swallowed)
            {
                return $"{result.Option.Name} is missing its value (it took the option '{swallowed.Value}' for one); give it as {result.Option.Name} VALUE.";
            }
        }

        foreach (var token in parse.UnmatchedTokens)
        {
            if (token.Length > 1 && token[0] == '-' && !char.IsAsciiDigit(token[1]) && token[1] != '.'
                && error.Message.Contains($"'{token}'", StringComparison.Ordinal))
            {
                var owner = command is RootCommand ? "forgetpredict" : $"forgetpredict {command.Name}";
                return $"'{owner}' has no option '{token}'{(Suggestion.DidYouMean(token, flags) is { Length: > 0 } guess ? guess : ".")}";
            }
        }

        return error.Message;
    }

    // System.CommandLine lists choices one per line ("Must be one of:\n\t'auto'\n\t'wide'"): keep every error on one line.
    private static string OneLine(string message) =>
        string.Join(' ', message.Split(['\n', '\r', '\t'], StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));

    /// <summary>The command line's words with some options named otherwise (convert reads its input's layout from --in-layout).</summary>
    internal static OptionVocabulary FlagsWith(IReadOnlyDictionary<string, string> overrides)
    {
        var names = new Dictionary<string, string>(s_flagNames);
        foreach (var (option, flag) in overrides)
        {
            names[option] = flag;
        }

        // A value with a space (pandas' 'Unnamed: 0' column) is quoted, so the flag can be pasted back.
        return new OptionVocabulary(names, static (flag, value) => value is null ? flag : value.Contains(' ', StringComparison.Ordinal) ? $"{flag} \"{value}\"" : $"{flag} {value}");
    }

    private static readonly Dictionary<string, string> s_flagNames = new()
    {
        [DataOptionNames.Format] = "--format",
        [DataOptionNames.WriteFormat] = "--to-format",
        [DataOptionNames.Layout] = "--layout",
        [DataOptionNames.Array] = "--array",
        [DataOptionNames.Columns] = "--columns",
        [DataOptionNames.WriteColumns] = "--columns",
        [DataOptionNames.WriteLayout] = "--layout",
        [DataOptionNames.ObservedColumns] = "--observed-columns",
        [DataOptionNames.TaskFeatureColumns] = "--task-features-columns",
        [DataOptionNames.ExampleFeatureColumns] = "--example-features-columns",
        [DataOptionNames.SaveModel] = "'forgetpredict fit ... --out MODEL'",
        [ModelOptionNames.Rank] = "--rank",
        [ModelOptionNames.Lambda] = "--lambda",
        [ModelOptionNames.Seed] = "--seed",
        [ModelOptionNames.Known] = "--known",
        [Core.Replay.ReplayOptionNames.Budget] = "--budget",
        [Core.Replay.ReplayOptionNames.Temperature] = "--temperature",
        [Core.Replay.ReplayOptionNames.Strategy] = "--strategy",
        [Core.Synthetic.SyntheticOptionNames.Tasks] = "--rows",
        [Core.Synthetic.SyntheticOptionNames.Examples] = "--cols",
        [Core.Synthetic.SyntheticOptionNames.Groups] = "--groups",
        [Core.Synthetic.SyntheticOptionNames.Patterns] = "--patterns",
        [Core.Synthetic.SyntheticOptionNames.Noise] = "--noise",
        [Core.Synthetic.SyntheticOptionNames.MissingFraction] = "--missing",
        [Core.Replay.ReplayOptionNames.Seed] = "--seed",
        [Core.Replay.ReplayOptionNames.MinPerGroup] = "--min-per-group",
        [Core.Replay.ReplayOptionNames.Ratio] = "--ratio",
        [Core.Replay.ReplayOptionNames.TaskSize] = "--task-size",
        [Core.Evaluation.EvaluationOptionNames.TopFraction] = "--top-fraction",
        [Core.Evaluation.EvaluationOptionNames.Seed] = "--seed",
        [Core.Evaluation.EvaluationOptionNames.Known] = "--known",
        [Core.Evaluation.EvaluationOptionNames.RevealRandom] = "--reveal-rng",
        [Core.Evaluation.EvaluationOptionNames.MaxThreads] = "--threads",
        [Core.Evaluation.EvaluationOptionNames.Threshold] = "--threshold",
        [Core.Erasure.ForgettingThreshold.OptionName] = "--threshold",
        [ForecastOptionNames.Prior] = "--prior",
        [ForecastOptionNames.TaskFeatures] = "--task-features",
        [EvaluateOptionNames.TestRows] = "--test-rows",
        [EvaluateOptionNames.TestTasks] = "--test-tasks",
        [EvaluateOptionNames.TestFraction] = "--test-fraction",
        [EvaluateOptionNames.SplitSeed] = "--split-seed",
        [EvaluateOptionNames.Families] = "--tasks",
        [EvaluateOptionNames.TestFamily] = "--test-family",
        [EvaluateOptionNames.TrainFamily] = "--train-family",
        [EvaluateOptionNames.Methods] = "--methods",
        [EvaluateOptionNames.Known] = "--known",
        [EvaluateOptionNames.ExternalFiles] = "--external",
        [EvaluateOptionNames.AllowPartial] = "--allow-partial",
        [EvaluateOptionNames.ResultsFile] = "--json",
        [EvaluateOptionNames.PredictionsFile] = "--predictions",
        [EvaluateOptionNames.Seeds] = "--seeds",
        [DesignOptionNames.Count] = "--count",
        [DesignOptionNames.Criterion] = "--criterion",
        [GroupingOptionNames.GroupBy] = "--group-by",
        [GroupingOptionNames.Metadata] = "--examples META",
    };

    /// <summary>The command line's words for the library's options: its flags.</summary>
    /// <remarks>After the names it is made of: static fields are initialised in the order they are written.</remarks>
    internal static OptionVocabulary Flags { get; } = FlagsWith(new Dictionary<string, string>());
}

/// <summary>A command-level failure with its exit code and a message for the user.</summary>
public sealed class CliException : Exception
{
    /// <summary>Creates the exception.</summary>
    public CliException(string message, int exitCode = CliApp.DataError)
        : base(message)
    {
        ExitCode = exitCode;
    }

    /// <summary>Creates the exception with the data-error exit code.</summary>
    public CliException()
        : this("The command failed.")
    {
    }

    /// <summary>Creates the exception with an inner exception.</summary>
    public CliException(string message, Exception innerException)
        : base(message, innerException)
    {
        ExitCode = CliApp.DataError;
    }

    /// <summary>The process exit code to return.</summary>
    public int ExitCode { get; }
}
