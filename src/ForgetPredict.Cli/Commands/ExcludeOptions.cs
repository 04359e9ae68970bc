using System.CommandLine;
using ForgetPredict.Application;
using ForgetPredict.Data;
using ForgetPredict.Data.Formats;

namespace ForgetPredict.Cli.Commands;

/// <summary><c>--exclude</c> (a table listing examples to leave out) and its <c>--exclude-columns</c>, as replay and design read them.</summary>
/// <param name="description">What the excluded examples are, in the command's words, for the help text.</param>
internal sealed class ExcludeOptions(string description)
{
    public Option<string?> Exclude { get; } = new("--exclude") { Description = description };

    public Option<string[]?> Columns { get; } = TableColumnsOption.For("--exclude", TableColumnsOption.IdRole, "id, else the first column");

    /// <summary>
    /// The excluded examples (indices), or null without --exclude; ids that name no example are reported and ignored, unless
    /// none names one: a list that excludes nothing (ids of another matrix, or positions without --by-index) is refused, since
    /// a held-out set would otherwise be replayed or measured without a word.
    /// </summary>
    public HashSet<int>? Read(ParseResult parse, ExampleReferences exampleIds, TextWriter warnings)
    {
        if (parse.GetValue(Exclude) is not { } path)
        {
            return null;
        }

        var idColumn = parse.Id(Columns);
        var table = MetadataTable.Read(path, idColumn);
        var (set, unknown, column) = Replaying.ExcludedBy(table, exampleIds, idColumn is not null);
        var hint = TableColumnsOption.IdColumnHint(column, table.RowCount - unknown.Count, "--exclude-columns");
        if (Replaying.ExclusionWarning(exampleIds, set.Count, unknown, table.RowCount, path, "rows", hint) is { } warning)
        {
            warnings.WriteLine($"warning: {warning}");
        }

        return set;
    }
}
