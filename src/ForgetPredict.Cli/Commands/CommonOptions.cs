using System.CommandLine;
using ForgetPredict.Application;
using ForgetPredict.Core;
using ForgetPredict.Core.Models;
using ForgetPredict.Data;

namespace ForgetPredict.Cli.Commands;

/// <summary>Options and helpers several commands share.</summary>
internal static class CommonOptions
{
    /// <summary>--threads: worker threads (results never depend on it).</summary>
    public static Option<int> Threads() => new("--threads")
    {
        Description = "Worker threads (-1: all cores). Results are identical for every value.",
        DefaultValueFactory = _ => -1,
        CustomParser = r => NumberOptions.Whole(r, "--threads", -1, -1, "--threads must be -1 or at least 1.") is var n && n == 0 ? Refuse(r, "--threads must be -1 or at least 1.") : n,
    };

    /// <summary>--format: override the format chosen by file extension.</summary>
    public static Option<string?> Format(string name = "--format", string what = "Matrix file format") => new(name)
    {
        Description = $"{what}, overriding the extension ({string.Join(", ", MatrixFile.Formats.Keys)}).",
        Validators = { r => ValidateFormat(r, r.GetValueOrDefault<string?>()) },
    };

    /// <summary>The MATRIX argument.</summary>
    public static Argument<string> Matrix() => new("MATRIX") { Description = "Forgetting matrix file (tasks x examples; NaN = missing): .npy, .npz, .csv, .tsv, .json, .parquet or .txt (whitespace-separated, as np.savetxt writes)." };

    /// <summary>
    /// Makes <paramref name="option"/> take one of <paramref name="choice"/>'s names, refused in the library's words with a
    /// suggestion ("Unknown prior 'ridgee'; did you mean 'ridge'? Priors: empirical, ridge."), as the service refuses it;
    /// System.CommandLine's own check said "Argument 'ridgee' not recognized. Must be one of: ...", with no suggestion.
    /// </summary>
    /// <param name="option">The option.</param>
    /// <param name="choice">The names listed in the help, completed and suggested.</param>
    /// <param name="parses">Names that parse as well without being listed (a criterion the library then refuses with its reason), or null.</param>
    public static Option<string> OneOf<T>(this Option<string> option, NamedChoice<T> choice, NamedChoice<T>? parses = null)
        where T : struct, Enum
    {
        option.HelpName = string.Join("|", choice.Names);
        option.CompletionSources.Add([.. choice.Names]);
        option.Validators.Add(result =>
        {
            if (result.GetValueOrDefault<string?>() is { } name && !choice.TryParse(name, out _) && parses?.TryParse(name, out _) != true)
            {
                result.AddError(choice.UnknownMessage(name));
            }
        });
        return option;
    }

    /// <summary>An option that must be at least <paramref name="min"/>.</summary>
    public static Option<int> AtLeast(string name, int min, int defaultValue, string description) => Between(name, min, int.MaxValue, defaultValue, description);

    /// <summary>An option that must be from <paramref name="min"/> to <paramref name="max"/>.</summary>
    public static Option<int> Between(string name, int min, int max, int defaultValue, string description) => new(name)
    {
        Description = description,
        DefaultValueFactory = _ => defaultValue,
        CustomParser = r => NumberOptions.Whole(r, name, min, defaultValue, max: max),
    };

    private static int Refuse(System.CommandLine.Parsing.ArgumentResult result, string message)
    {
        result.AddError(message);
        return 0;
    }

    /// <summary>Parses a layout name (auto, wide, long).</summary>
    public static MatrixLayout ParseLayout(string? value) => Choices.Layout.Parse(value);

    private static void ValidateFormat(System.CommandLine.Parsing.OptionResult r, string? value)
    {
        if (value is not null && !MatrixFile.Formats.ContainsKey(value))
        {
            r.AddError($"Unknown format '{value}'{Suggestion.AndList(value, MatrixFile.Formats.Keys, "known formats")}");
        }
    }

    /// <summary>The invocation's standard output.</summary>
    public static TextWriter Out(this ParseResult parse) => parse.InvocationConfiguration.Output;

    /// <summary>The invocation's standard error.</summary>
    public static TextWriter Err(this ParseResult parse) => parse.InvocationConfiguration.Error;
}

/// <summary>
/// The options of a command that reads a matrix: --format, --layout, --array and --columns, turned into
/// <see cref="MatrixReadOptions"/>.
/// </summary>
internal sealed class MatrixInputOptions
{
    public MatrixInputOptions(string layoutName = "--layout")
    {
        Layout = new Option<string>(layoutName)
        {
            Description = "CSV/TSV and Parquet layout: wide, long (one row per cell) or auto (long when the columns include --columns).",
            DefaultValueFactory = _ => "auto",
        };
        Layout.OneOf(Choices.Layout);
    }

    public Option<string?> Format { get; } = CommonOptions.Format();

    public Option<string> Layout { get; }

    public Option<string?> Array { get; } = new("--array") { Description = ".npz: the array to read (default: the only 2-D array; needed when the archive holds several)." };

    public Option<string[]?> Columns { get; } = TableColumnsOption.Create("--columns", "the long layout's columns", ["TASK", "EXAMPLE", "VALUE"], "task,example,value");

    /// <summary>Every option, in help order.</summary>
    public IEnumerable<Option> All => [Format, Layout, Array, Columns];

    /// <summary>The read options the command line asks for.</summary>
    public MatrixReadOptions ReadOptions(ParseResult parse)
    {
        var options = new MatrixReadOptions
        {
            Format = parse.GetValue(Format),
            Layout = CommonOptions.ParseLayout(parse.GetValue(Layout)),
            Array = parse.GetValue(Array),
        };
        if (parse.Names(Columns) is { } names)
        {
            options = options with { TaskColumn = names[0], ExampleColumn = names[1], ValueColumn = names[2] };
        }

        return options;
    }

    /// <summary>Reads the matrix at <paramref name="path"/> with the command line's options.</summary>
    public ForgettingMatrix Read(ParseResult parse, string path) => MatrixFile.Read(path, ReadOptions(parse));
}

/// <summary>An option naming a table the command writes: <see cref="OutputFiles"/> checks its format (from the extension, by
/// <see cref="Data.Tables.TableFile.FormatOf"/>) before the command runs, a usage error.</summary>
internal interface ITableOutput;

/// <summary>An option whose value is a table the command writes (.csv, .tsv, .json or .parquet; see <see cref="ITableOutput"/>).</summary>
/// <typeparam name="T">string, or string? for an optional output.</typeparam>
internal sealed class TableOutputOption<T>(string name) : Option<T>(name), ITableOutput;

/// <summary>An option naming a model file the command writes: <see cref="OutputFiles.ModelName"/> refuses a name with a data
/// format's extension (<see cref="ModelFile.NameRefusal"/>) before the command runs, a usage error.</summary>
internal sealed class ModelOutputOption(string name) : Option<string>(name);
