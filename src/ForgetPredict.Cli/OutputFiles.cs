using System.CommandLine;
using System.CommandLine.Parsing;
using ForgetPredict.Data;

namespace ForgetPredict.Cli;

/// <summary>
/// The files a command line writes, checked before anything runs: none may be one of the files it reads (writing the model
/// over its own matrix, or an answer over the cells it came from, destroys the input), no two outputs may be one file, and
/// every output must be writable: not a folder, in a folder that exists and lets us create files (probed), so a command
/// never computes for an hour and then fails on its outputs, nor writes some outputs and then fails on the next.
/// </summary>
internal static class OutputFiles
{
    // The options and arguments whose value is a file the command writes.
    private static readonly HashSet<string> s_outputs = new(StringComparer.Ordinal) { "--out", "--json", "--html", "--predictions", "--examples-out", "--tasks-out", "OUT" };

    /// <summary>True when one of the command line's outputs is standard output (<c>--json /dev/stdout</c>, see
    /// <see cref="AtomicFile.IsStandardOutput"/>): the command's own report then goes to standard error, so that standard
    /// output carries exactly the file.</summary>
    public static bool ToStandardOutput(ParseResult parse)
    {
        var (outputs, _) = Files(parse);
        return outputs.Any(x => AtomicFile.IsStandardOutput(x.Path));
    }

    /// <summary>
    /// What is wrong with an output's name, as a message with the fix, or null: an empty name, or a table output
    /// (<see cref="Commands.ITableOutput"/>) whose extension names no table format the command can write.
    /// </summary>
    public static string? Refused(ParseResult parse)
    {
        foreach (var child in parse.CommandResult.Children)
        {
            var (name, table, tokens) = child switch
            {
                OptionResult option => (option.Option.Name, option.Option is Commands.ITableOutput, option.Tokens),
                ArgumentResult argument when s_outputs.Contains(argument.Argument.Name) => (argument.Argument.Name, false, argument.Tokens),
                _ => (null, false, null),
            };
            if (name is null || tokens is null || !s_outputs.Contains(name))
            {
                continue;
            }

            foreach (var path in tokens.Select(t => t.Value))
            {
                if (string.IsNullOrWhiteSpace(path))
                {
                    return $"{name} is empty; name the file to write{(table ? $" ({Extensions})" : string.Empty)}.";
                }

                if (table)
                {
                    try
                    {
                        Data.Tables.TableFile.FormatOf(path);
                    }
                    catch (ForgettingDataException e)
                    {
                        return $"{name} {path}: {e.Detail}";
                    }
                }
            }
        }

        return null;
    }

    /// <summary>
    /// A model output (<see cref="Commands.ModelOutputOption"/>) whose extension names a data format (<c>fit --out model.csv</c>,
    /// see <see cref="ModelFile.NameRefusal"/>), as a message with the fix, or null. Checked after <see cref="Clash"/>: an output
    /// that would destroy an input (<c>fit z.npy --out z.npy</c>) is said as that first.
    /// </summary>
    public static string? ModelName(ParseResult parse)
    {
        foreach (var (name, paths) in ModelOutputs(parse))
        {
            foreach (var path in paths)
            {
                if (ModelFile.NameRefusal(path) is { } refusal)
                {
                    return $"{name} {path}: {refusal}";
                }
            }
        }

        return null;
    }

    // The outputs that are model files: the ModelOutputOption options, and convert's OUT when its IN is a model file (which
    // convert copies: Commands.ConvertCommand.IsModel).
    private static IEnumerable<(string Name, IEnumerable<string> Paths)> ModelOutputs(ParseResult parse)
    {
        var children = parse.CommandResult.Children;
        foreach (var option in children.OfType<OptionResult>().Where(r => r.Option is Commands.ModelOutputOption))
        {
            yield return (option.Option.Name, option.Tokens.Select(t => t.Value));
        }

        var arguments = children.OfType<ArgumentResult>().ToList();
        if (parse.CommandResult.Command.Name == "convert"
            && arguments.FirstOrDefault(a => a.Argument.Name == "IN") is { Tokens: [var input] }
            && Commands.ConvertCommand.IsModel(input.Value)
            && arguments.FirstOrDefault(a => a.Argument.Name == "OUT") is { } output)
        {
            yield return ("OUT", output.Tokens.Select(t => t.Value));
        }
    }

    /// <summary>What clashes, as a message with the fix, or null when every output is a file of its own.</summary>
    public static string? Clash(ParseResult parse)
    {
        var (outputs, inputs) = Files(parse);
        var models = ModelOutputs(parse).Select(m => m.Name).ToHashSet(StringComparer.Ordinal);
        for (var i = 0; i < outputs.Count; i++)
        {
            var (name, path) = outputs[i];
            var full = Full(path);
            if (full is null)
            {
                continue;
            }

            var input = inputs.FirstOrDefault(x => File.Exists(x.Path) && Full(x.Path) == full);
            if (input.Name is not null)
            {
                return $"{name} {path} is also the file this command reads as {input.Name}, which writing it would destroy; write to another file.";
            }

            var twin = outputs.Skip(i + 1).FirstOrDefault(x => Full(x.Path) == full);
            if (twin.Name is not null)
            {
                return $"{name} and {twin.Name} both write {path}; give each output its own file.";
            }

            // A model output's name is refused by ModelName with a model file's name as the fix (a folder, model.npy.gz),
            // which the writability check would have refused suggesting a data file's (dir/out.csv, model.npy).
            if (models.Contains(name) && ModelFile.NameRefusal(path) is not null)
            {
                continue;
            }

            try
            {
                AtomicFile.CheckWritable(path);
            }
            catch (ForgettingDataException e)
            {
                return $"{name} {e.Message}";
            }
        }

        return null;
    }

    // The files the command line names: what it writes and what it reads, each with its option's name.
    private static (List<(string Name, string Path)> Outputs, List<(string Name, string Path)> Inputs) Files(ParseResult parse)
    {
        var outputs = new List<(string Name, string Path)>();
        var inputs = new List<(string Name, string Path)>();
        foreach (var child in parse.CommandResult.Children)
        {
            var (name, tokens) = child switch
            {
                OptionResult option => (option.Option.Name, option.Tokens),
                ArgumentResult argument => (argument.Argument.Name, argument.Tokens),
                _ => (null, null),
            };
            if (name is null || tokens is null)
            {
                continue;
            }

            foreach (var value in tokens.Select(t => t.Value))
            {
                if (s_outputs.Contains(name))
                {
                    outputs.Add((name, value));
                }
                else
                {
                    // --external NAME=FILE names its file after the '='.
                    var equals = value.IndexOf('=', StringComparison.Ordinal);
                    inputs.Add((name, equals > 0 && !File.Exists(value) ? value[(equals + 1)..] : value));
                }
            }
        }

        return (outputs, inputs);
    }

    // The table extensions, as a list for a message: ".csv, .tsv, .tab, .json or .parquet".
    private static string Extensions
    {
        get
        {
            var all = Data.Tables.TableFile.Formats.SelectMany(f => f.Extensions).ToList();
            return $"{string.Join(", ", all.SkipLast(1))} or {all[^1]}";
        }
    }

    private static string? Full(string path)
    {
        try
        {
            // Links resolved (the file's and its folders'): a link to the input is the input.
            return AtomicFile.RealPath(path);
        }
        catch (Exception e) when (e is ArgumentException or NotSupportedException or PathTooLongException)
        {
            return null;
        }
    }
}
