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

        // demo reads its matrix from --matrix, when given (else the bundled or a synthetic one): the matrix's read options
        // read that file. Elsewhere they read the MATRIX argument, always given, and no --matrix option is there to need.
        ["--format"] = (["--matrix"], "says how to read that file"),
        ["--layout"] = (["--matrix"], "says how to read that file"),
        ["--array"] = (["--matrix"], "says how to read that file"),
        ["--columns"] = (["--matrix"], "names the columns of that file"),
    };

    /// <summary>The files option <paramref name="option"/> of <paramref name="command"/> reads (<c>--X</c> for <c>--X-columns</c>), or empty when it reads none.</summary>
    public static (IReadOnlyList<string> Files, string What) FilesOf(Command command, string option)
    {
        ArgumentNullException.ThrowIfNull(command);
        var names = command.Options.Select(o => o.Name).ToHashSet(StringComparer.Ordinal);
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
        var given = parse.CommandResult.Children.OfType<OptionResult>().Where(r => !r.Implicit).Select(r => r.Option.Name).ToHashSet(StringComparer.Ordinal);
        foreach (var option in command.Options.Where(o => given.Contains(o.Name)))
        {
            var (files, what) = FilesOf(command, option.Name);
            if (files.Count > 0 && !files.Any(given.Contains))
            {
                var needs = string.Join(" or ", files);
                var none = files.Count == 1 ? "which is not given" : "neither of which is given";
                return $"{option.Name} needs {needs}: it {what.Replace("that file", files.Count == 1 ? "that file" : "those files", StringComparison.Ordinal)}, {none}; pass {files[0]} FILE, or drop {option.Name}.";
            }
        }

        return null;
    }
}
