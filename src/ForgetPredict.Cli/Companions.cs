using System.CommandLine;
using System.CommandLine.Parsing;

namespace ForgetPredict.Cli;

/// <summary>
/// Options that only say how to read another option's file (its columns, the column to group by, whether its examples are
/// positions) do nothing without that file: one rule for every command, checked before anything runs, refuses such an option
/// when none of the files it reads is given ("--observed-columns needs --observed"), a usage error. They had been ignored
/// without a word in some commands and refused in others. An option that does something only when another option has one
/// value (evaluate's --active-criterion, with --reveal active) is refused without that value by the same check.
/// </summary>
internal static class Companions
{
    // The companions whose name does not follow the --X-columns rule: what each reads, and what it says of the file.
    private static readonly Dictionary<string, (string[] Files, string What)> s_named = new(StringComparer.Ordinal)
    {
        ["--family-column"] = (["--tasks"], "names the family column of that file"),
        ["--group-by"] = (["--examples"], "names the column of that file to group by"),
        ["--by-index"] = (["--observed", "--exclude"], "reads the examples of that file as column positions"),
        ["--allow-partial"] = (["--external"], "accepts files of external predictions that lack some cells"),

        // demo reads its matrix from --matrix, when given (else the bundled or a synthetic one), and design from its MATRIX
        // argument, which --model replaces: the matrix's read options read that file. Elsewhere they read the MATRIX
        // argument, always given, so they need nothing more.
        ["--format"] = (["--matrix", Matrix], "says how to read that file"),
        ["--layout"] = (["--matrix", Matrix], "says how to read that file"),
        ["--array"] = (["--matrix", Matrix], "says how to read that file"),
        ["--columns"] = (["--matrix", Matrix], "names the columns of that file"),
    };

    // The options that do something only when another option has one value: the option and value each needs, what it does,
    // and what happens without that value. evaluate's --active-criterion had been accepted with random reveals, and ignored.
    private static readonly Dictionary<string, (string Option, string Value, string What, string Otherwise)> s_valued = new(StringComparer.Ordinal)
    {
        ["--active-criterion"] = ("--reveal", "active", "names the design that chooses the revealed cells", "the cells are revealed at random"),

        // (QA: evaluate --reveal active --seed 5 gave the same predictions, to the byte, as without it.)
        ["--seed"] = ("--reveal", "random", "is the base seed of the random draws of the revealed cells", "a design chooses them and nothing is drawn"),
    };

    // The matrix argument's name (CommonOptions.Matrix), a file an option can read when the argument may be left out.
    private const string Matrix = "MATRIX";

    /// <summary>The files option <paramref name="option"/> of <paramref name="command"/> reads (<c>--X</c> for <c>--X-columns</c>), or empty when it reads none.</summary>
    public static (IReadOnlyList<string> Files, string What) FilesOf(Command command, string option)
    {
        ArgumentNullException.ThrowIfNull(command);
        // The files: the command's options, and an argument it may go without (design's MATRIX, which --model replaces).
        var names = command.Options.Select(o => o.Name)
            .Concat(command.Arguments.Where(a => a.Arity.MinimumNumberOfValues == 0).Select(a => a.Name))
            .ToHashSet(StringComparer.Ordinal);
        if (s_named.TryGetValue(option, out var named))
        {
            return ([.. named.Files.Where(names.Contains)], named.What);
        }

        const string Suffix = "-columns";
        return option.EndsWith(Suffix, StringComparison.Ordinal) && option[..^Suffix.Length] is var file && names.Contains(file)
            ? ([file], "names the columns of that file")
            : ([], string.Empty);
    }

    /// <summary>The option and value that option <paramref name="option"/> of <paramref name="command"/> needs to do anything
    /// (<c>--reveal active</c> for <c>--active-criterion</c>), or null when it needs none.</summary>
    public static (string Option, string Value, string What, string Otherwise)? ValueOf(Command command, string option)
    {
        ArgumentNullException.ThrowIfNull(command);
        return s_valued.TryGetValue(option, out var valued) && command.Options.Any(o => o.Name == valued.Option) ? valued : null;
    }

    /// <summary>The first option given without any file it reads, or without the value of another option it needs, as a message
    /// with the fix, or null.</summary>
    public static string? Refused(ParseResult parse)
    {
        ArgumentNullException.ThrowIfNull(parse);
        var command = parse.CommandResult.Command;
        var given = parse.CommandResult.Children.OfType<OptionResult>().Where(r => !r.Implicit).Select(r => r.Option.Name)
            .Concat(parse.CommandResult.Children.OfType<ArgumentResult>().Where(r => r.Tokens.Count > 0).Select(r => r.Argument.Name))
            .ToHashSet(StringComparer.Ordinal);
        foreach (var option in command.Options.Where(o => given.Contains(o.Name)))
        {
            var (files, what) = FilesOf(command, option.Name);
            if (files.Count > 0 && !files.Any(given.Contains))
            {
                var needs = string.Join(" or ", files);
                var none = files.Count == 1 ? "which is not given" : "neither of which is given";
                var pass = files[0] == Matrix ? "pass the matrix file as MATRIX" : $"pass {files[0]} FILE";
                return $"{option.Name} needs {needs}: it {what.Replace("that file", files.Count == 1 ? "that file" : "those files", StringComparison.Ordinal)}, {none}; {pass}, or drop {option.Name}.";
            }

            if (ValueOf(command, option.Name) is { } valued && !string.Equals(parse.GetValue<string>(valued.Option), valued.Value, StringComparison.Ordinal))
            {
                return $"{option.Name} needs {valued.Option} {valued.Value}: it {valued.What}, and without {valued.Option} {valued.Value} {valued.Otherwise}; pass {valued.Option} {valued.Value}, or drop {option.Name}.";
            }
        }

        return null;
    }
}
