using System.CommandLine;
using System.CommandLine.Parsing;

namespace ForgetPredict.Cli;

/// <summary>
/// Options that only say how to read another option's file (its columns, the column to group by, whether its examples are
/// positions) do nothing without that file: one rule for every command, checked before anything runs, refuses such an option
/// when none of the files it reads is given ("--observed-columns needs --observed"), a usage error. They had been ignored
/// without a word in some commands and refused in others.
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

    /// <summary>The first option given without any file it reads, as a message with the fix, or null.</summary>
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
        }

        return null;
    }
}
