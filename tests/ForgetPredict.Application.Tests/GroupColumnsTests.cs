using ForgetPredict.Core;

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
}
