using System.Globalization;
using ForgetPredict.Core;
using ForgetPredict.Core.Models;
using ForgetPredict.Data;

namespace ForgetPredict.Application;

/// <summary>The options of example grouping, as <see cref="OptionReference"/> names each front end words its own way.</summary>
public static class GroupingOptionNames
{
    /// <summary>The metadata column to group the examples by (the command line's <c>--group-by</c>, the service's <c>groupBy</c>).</summary>
    public const string GroupBy = "Grouping.Column";

    /// <summary>The example metadata itself (the command line's <c>--examples</c>, the store's <c>NAME.examples.csv</c>).</summary>
    public const string Metadata = "Grouping.Metadata";
}

/// <summary>
/// Which metadata column groups the examples: the column named, else the only one. With several and none named, or none at all
/// (ids alone), the answer has no groups and says so, unless groups are required (stratified replay, a design for group
/// means), which is then refused. One rule for every front end.
/// </summary>
public static class GroupColumns
{
    /// <summary>The column to group by, and what the caller should be told (null when nothing).</summary>
    /// <param name="columns">The metadata's columns to group by (its id column left out).</param>
    /// <param name="requested">The column the caller named, or null (or empty) for none.</param>
    /// <param name="source">The metadata as the user knows it (a file), prefixed to messages.</param>
    /// <param name="required">True when the answer needs groups (stratified replay, a design for group means): several columns
    /// and none named is then refused rather than answered without groups.</param>
    /// <param name="dateColumns">Columns of the file that were not read because they hold dates or times
    /// (<c>MetadataTable.LeftOutColumns</c>), so that naming one is refused with the reason; null for none.</param>
    /// <returns>The column (null: no groups) and a warning, null unless several columns were there and none was named, or none.</returns>
    /// <exception cref="OptionException">The named column is not one of <paramref name="columns"/>, or groups are required and
    /// the metadata has several columns and none was named.</exception>
    public static (string? Column, OptionMessage? Warning) Choose(IReadOnlyList<string> columns, string? requested, string source, bool required = false, IReadOnlyCollection<string>? dateColumns = null)
    {
        ArgumentNullException.ThrowIfNull(columns);
        if (!string.IsNullOrEmpty(requested))
        {
            if (!columns.Contains(requested, StringComparer.Ordinal) && dateColumns is not null && dateColumns.Contains(requested, StringComparer.Ordinal))
            {
                throw new OptionException(OptionMessage.Of(
                    $"{source}: {new OptionReference(GroupingOptionNames.GroupBy)} names '{Echo.Printable(requested)}', a date or time column, which metadata tables leave out (stored as counts of days or ticks, it is no label); write it as text to group by it (pandas: df['{Echo.Printable(requested)}'] = df['{Echo.Printable(requested)}'].astype(str); DuckDB: {Echo.Printable(requested)}::VARCHAR){(columns.Count > 0 ? $"; columns to group by: {string.Join(", ", columns)}" : string.Empty)}."));
            }

            return columns.Contains(requested, StringComparer.Ordinal) ? (requested, null)
                : throw new OptionException(OptionMessage.Of(
                    $"{source}: {new OptionReference(GroupingOptionNames.GroupBy)} names no column '{Echo.Printable(requested)}'{Suggestion.AndList(requested, columns, "columns to group by")}"));
        }

        return columns.Count switch
        {
            1 => (columns[0], null),
            0 when required => throw new OptionException(OptionMessage.Of($"{source} has no column to group by besides its ids: add one, such as source or domain.")),
            0 => (null, OptionMessage.Of($"{source} has no column to group by besides its ids, so this answer reports no groups; add one, such as source or domain")),
            _ when required => throw new OptionException(OptionMessage.Of(
                $"{source} has {columns.Count} columns to group by ({string.Join(", ", columns)}): choose one with {new OptionReference(GroupingOptionNames.GroupBy)}.")),
            _ => (null, OptionMessage.Of(
                $"{source} has {columns.Count} columns to group by ({string.Join(", ", columns)}) and none was chosen, so this answer reports no groups; choose one with {new OptionReference(GroupingOptionNames.GroupBy)}")),
        };
    }

    /// <summary>Groups fewer than this are never called fragmented (a small metadata table may well have a group per example).</summary>
    public const int FragmentedMinimumGroups = 20;

    /// <summary>
    /// What the caller should be told when <paramref name="column"/> does not group the examples: most of them alone in a group
    /// (a value per example, such as a base loss or a score, read as categories), so every group report is one example's; null
    /// when it groups, or when there are under <see cref="FragmentedMinimumGroups"/> groups.
    /// </summary>
    /// <param name="groups">The examples' groups by the column.</param>
    /// <param name="column">The column grouped by.</param>
    /// <param name="source">The metadata as the user knows it (a file), prefixed to the message.</param>
    public static OptionMessage? Fragmented(ExampleGroups groups, string column, string source)
    {
        ArgumentNullException.ThrowIfNull(groups);
        int grouped = groups.ExampleCount - groups.UngroupedCount, alone = 0;
        for (var g = 0; g < groups.Count; g++)
        {
            alone += groups.Members(g).Length == 1 ? 1 : 0;
        }

        return groups.Count < FragmentedMinimumGroups || 2 * alone <= grouped ? null : OptionMessage.Of(
            $"{source}: {new OptionReference(GroupingOptionNames.GroupBy)} '{Echo.Printable(column)}' puts {alone:N0} of the {grouped:N0} examples in a group of their own ({groups.Count:N0} groups), so each group's report is one example's: the column holds a value per example (a score, a loss, an id), not groups; group by a column such as source or domain");
    }

    /// <summary>
    /// The sentence every front end adds to a metadata join's summary (<see cref="MetadataJoin.Summary"/>) when some examples
    /// have no metadata row or some rows match no example: what becomes of the examples without one.
    /// </summary>
    public const string WithoutMetadata = "Examples without metadata are in no group: a replay's group report lists them as '(no group)'; per-group predictions and group-means designs leave them out.";

    /// <summary>
    /// What the caller should be told about the labels of <paramref name="column"/>: how many examples that have a metadata
    /// row have no value in the column (empty, blank or missing: in no group, where a stratified replay keeps no floor), and
    /// labels that differ only in leading or trailing white space (" changelog" and "changelog": separate groups), named.
    /// Empty when neither applies.
    /// </summary>
    /// <param name="groups">The model's examples' groups by the column (<see cref="ExampleGroups.FromLabels"/> of the join's labels).</param>
    /// <param name="join">The metadata joined to the model's example ids (its first positions are the model's examples, as <see cref="ForecastMetadata.Join"/> makes it).</param>
    /// <param name="column">The column grouped by.</param>
    /// <param name="source">The metadata as the user knows it (a file), prefixed to the messages.</param>
    public static IReadOnlyList<string> LabelWarnings(ExampleGroups groups, MetadataJoin join, string column, string source)
    {
        ArgumentNullException.ThrowIfNull(groups);
        ArgumentNullException.ThrowIfNull(join);
        var warnings = new List<string>();
        int withRow = 0, blank = 0;
        for (var j = 0; j < Math.Min(groups.ExampleCount, join.Count); j++)
        {
            if (join.RowOf(j) >= 0)
            {
                withRow++;
                blank += groups.GroupOf(j) < 0 ? 1 : 0;
            }
        }

        if (blank > 0)
        {
            warnings.Add(string.Create(CultureInfo.InvariantCulture,
                $"{source}: {blank:N0} of the {withRow:N0} examples with a metadata row have no value in column '{Echo.Printable(column)}' (empty, blank or missing), so they are in no group: a replay's group report lists them as '{Replaying.UngroupedName(groups)}' and a stratified replay keeps its floor for named groups only; fill in the column to group them"));
        }

        var padded = groups.Names.GroupBy(name => name.Trim(), StringComparer.Ordinal).Where(g => g.Count() > 1).ToArray();
        if (padded.Length > 0)
        {
            var shown = string.Join("; ", padded.Take(3).Select(g => string.Join(" and ", g.Select(name => $"'{Echo.Printable(name)}'"))));
            warnings.Add(string.Create(CultureInfo.InvariantCulture,
                $"{source}: column '{Echo.Printable(column)}' has labels that differ only in leading or trailing spaces ({shown}{(padded.Length > 3 ? $"; and {padded.Length - 3} more" : string.Empty)}), which make separate groups; trim the labels in the metadata to make them one group"));
        }

        return warnings;
    }

    /// <summary>The refusal of stratified replay without groups (no example metadata): what to give, in the front end's words.</summary>
    public static OptionException StratifiedNeedsGroups() => new(OptionMessage.Of(
        $"Strategy 'stratified' needs example groups: give example metadata ({new OptionReference(GroupingOptionNames.Metadata)}) with a column such as source or domain."));
}
