using ForgetPredict.Core;
using ForgetPredict.Data;

namespace ForgetPredict.Application.Tests;

/// <summary>The one rule that picks the column to group examples by.</summary>
public class GroupColumnsTests
{
    // A Parquet metadata table is read without its date columns: grouping by one had said only "names no column".
    [Fact]
    public void Choose_ADateColumnTheTableLeftOut_SaysWhyAndHowToUseIt()
    {
        var e = Assert.Throws<OptionException>(() => GroupColumns.Choose(["source"], "created_at", "meta.parquet", dateColumns: ["created_at"]));
        Assert.Contains("'created_at', a date or time column, which metadata tables leave out", e.Message, StringComparison.Ordinal);
        Assert.Contains("df['created_at'] = df['created_at'].astype(str); DuckDB: created_at::VARCHAR", e.Message, StringComparison.Ordinal);
        Assert.Contains("columns to group by: source", e.Message, StringComparison.Ordinal);

        // Without the list, or for a column that is not a left-out date, the plain refusal.
        var plain = Assert.Throws<OptionException>(() => GroupColumns.Choose(["source"], "created_at", "meta.parquet"));
        Assert.Contains("names no column 'created_at'", plain.Message, StringComparison.Ordinal);
        var other = Assert.Throws<OptionException>(() => GroupColumns.Choose(["source"], "domain", "meta.parquet", dateColumns: ["created_at"]));
        Assert.Contains("names no column 'domain'", other.Message, StringComparison.Ordinal);
        Assert.Equal("source", GroupColumns.Choose(["source"], "source", "meta.parquet", dateColumns: ["created_at"]).Column);
    }

    // QA: examples with a metadata row and no value in the column went to "(no group)" in silence, and " changelog" beside
    // "changelog" made two groups.
    [Fact]
    public void LabelWarnings_CountBlankLabels_AndNameLabelsThatDifferOnlyInSpaces()
    {
        // Given: 6 examples; e5 has no metadata row, e1 and e2 no value, e3 and e4 one label with and without a space.
        var table = MetadataTable.Read(new MemoryStream(System.Text.Encoding.UTF8.GetBytes("id,source\ne0,web\ne1,\ne2,  \ne3, changelog\ne4,changelog\n")), "meta.csv");
        var ids = IdList.From(["e0", "e1", "e2", "e3", "e4", "e5"]);
        var join = table.Join(ids);
        var groups = ExampleGroups.FromLabels(join.Column("source"));

        // When
        var warnings = GroupColumns.LabelWarnings(groups, join, "source", "meta.csv");

        // Then: the examples without a value are counted among those with a row (e5's missing row is the join's to say).
        Assert.Equal(2, warnings.Count);
        Assert.StartsWith("meta.csv: 2 of the 5 examples with a metadata row have no value in column 'source' (empty, blank or missing), so they are in no group", warnings[0], StringComparison.Ordinal);
        Assert.Contains("stratified replay keeps its floor for named groups only", warnings[0], StringComparison.Ordinal);
        Assert.Equal("meta.csv: column 'source' has labels that differ only in leading or trailing spaces (' changelog' and 'changelog'), which make separate groups; trim the labels in the metadata to make them one group", warnings[1]);

        // Without blanks or near-duplicates, nothing.
        var clean = MetadataTable.Read(new MemoryStream(System.Text.Encoding.UTF8.GetBytes("id,source\ne0,web\ne1,code\n")), "clean.csv");
        var cleanJoin = clean.Join(IdList.From(["e0", "e1"]));
        Assert.Empty(GroupColumns.LabelWarnings(ExampleGroups.FromLabels(cleanJoin.Column("source")), cleanJoin, "source", "clean.csv"));

        // With a group named '(no group)' itself, the blank ones are said to be listed as the report lists them, '(no label)'.
        var taken = MetadataTable.Read(new MemoryStream(System.Text.Encoding.UTF8.GetBytes("id,source\ne0,(no group)\ne1,\n")), "taken.csv");
        var takenJoin = taken.Join(IdList.From(["e0", "e1"]));
        Assert.Contains("lists them as '(no label)'", Assert.Single(GroupColumns.LabelWarnings(ExampleGroups.FromLabels(takenJoin.Column("source")), takenJoin, "source", "taken.csv")), StringComparison.Ordinal);
    }

    // QA: an unreadable budget was said to take "a whole number from -2,147,483,648", though budgets start at 0.
    [Fact]
    public void OptionRanges_SayTheLeastValueTheLibraryTakes()
    {
        Assert.Equal("a whole number from 0 to 2,147,483,647", OptionRanges.WholeNumber(Core.Replay.ReplayOptionNames.Budget));
        Assert.Equal("a whole number from 1 to 9,223,372,036,854,775,807", OptionRanges.WholeNumber(Core.Replay.ReplayOptionNames.TaskSize, wide: true));
        Assert.Equal("a whole number from -2,147,483,648 to 2,147,483,647", OptionRanges.WholeNumber(Core.Replay.ReplayOptionNames.Seed));
        Assert.Equal("a whole number from -2,147,483,648 to 2,147,483,647", OptionRanges.WholeNumber(null));
    }
}
