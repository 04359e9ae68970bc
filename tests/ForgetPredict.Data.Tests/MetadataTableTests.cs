using ForgetPredict.Core;
using ForgetPredict.Data.Formats;
using ForgetPredict.Testing;

namespace ForgetPredict.Data.Tests;

/// <summary>Metadata tables and their joins to matrix ids: alignment, mismatch reports, duplicate ids.</summary>
public class MetadataTableTests
{
    // A Parquet table of ids, a source and a DATE column: the date column (refused as numbers or labels since it is stored
    // as day counts) had made the whole table unreadable, though only the source was used.
    [Fact]
    public void Read_ParquetWithADateColumn_LeavesItOut_UnlessItIsNamedAsTheIds_AndFeatureTablesRefuseIt()
    {
        var folder = RepoPaths.NewTempFolder("fp-dates");
        var path = Path.Combine(folder, "meta.parquet");
        File.WriteAllBytes(path, Tests.Parquet.ParquetFileBuilder.Build(
            [new("id", 6, Converted: 0), new("source", 6, Converted: 0), new("created_at", 1, Converted: 6)],
            [new(Tests.Parquet.ParquetFileBuilder.DataPageV1(1, 0, [1, 0, 0, 0, (byte)'a'])),
             new(Tests.Parquet.ParquetFileBuilder.DataPageV1(1, 0, [3, 0, 0, 0, (byte)'w', (byte)'e', (byte)'b'])),
             new(Tests.Parquet.ParquetFileBuilder.DataPageV1(1, 0, Tests.Parquet.ParquetFileBuilder.Int32s(19723)))],
            1));

        var table = MetadataTable.Read(path);
        Assert.Equal(["id", "source"], table.ColumnNames);
        Assert.Equal(["web"], table.Column("source"));
        Assert.Equal(["created_at"], table.LeftOutColumns);
        Assert.Empty(MetadataTable.Read(RepoPaths.Data("charlm-b", "upstream.csv")).LeftOutColumns);

        var named = Assert.Throws<ForgettingDataException>(() => MetadataTable.Read(path, "created_at"));
        Assert.Contains("column 'created_at': the column holds DATE values", named.Message, StringComparison.Ordinal);
        var feature = Assert.Throws<ForgettingDataException>(() => FeatureFile.Read(path, IdList.From(["a"])));
        Assert.Contains("column 'created_at': the column holds DATE values", feature.Message, StringComparison.Ordinal);

        // A date column called 'id' is the one the default rule takes: refused, not passed over for the next column.
        var dated = Path.Combine(folder, "dated.parquet");
        File.WriteAllBytes(dated, Tests.Parquet.ParquetFileBuilder.Build(
            [new("id", 1, Converted: 6), new("name", 6, Converted: 0)],
            [new(Tests.Parquet.ParquetFileBuilder.DataPageV1(1, 0, Tests.Parquet.ParquetFileBuilder.Int32s(19723))),
             new(Tests.Parquet.ParquetFileBuilder.DataPageV1(1, 0, [1, 0, 0, 0, (byte)'a']))],
            1));
        var idDate = Assert.Throws<ForgettingDataException>(() => MetadataTable.Read(dated));
        Assert.Contains("column 'id': the column holds DATE values", idDate.Message, StringComparison.Ordinal);

        // The service reads its store's metadata as a stream named by the file: Parquet there too (it had been read as CSV).
        using (var stream = File.OpenRead(path))
        {
            Assert.Equal(["web"], MetadataTable.Read(stream, "meta.parquet").Column("source"));
        }

        Directory.Delete(folder, recursive: true);
    }

    [Fact]
    public void Join_CharlmBUpstream_KeysByFirstColumnAndMatchesImplicitIds()
    {
        // Given: the bundled matrix has no ids (0..2399); upstream.csv is 'column,source'.
        var z = MatrixFile.Read(RepoPaths.Data("charlm-b", "z.npy"));
        var upstream = MetadataTable.Read(RepoPaths.Data("charlm-b", "upstream.csv"));

        // When
        var join = upstream.Join(z.ExampleIds);

        // Then
        Assert.Equal("column", upstream.IdColumn);
        Assert.True(join.IsComplete);
        Assert.Equal(2400, join.MatchedCount);
        Assert.Equal(0, join.UnusedCount);
        var sources = join.Column("source");
        Assert.Equal(6, sources.Distinct().Count());
        Assert.Equal(400, sources.Count(s => s == sources[0]));
        Assert.Contains("2400 of 2400 example ids matched", join.Summary(), StringComparison.Ordinal);
        join.RequireComplete(allowUnused: false);
    }

    [Fact]
    public void Join_IdColumnNamedId_WinsOverTheFirstColumn()
    {
        var table = Read("family,ID,size\nmath,t2,1\ncode,t1,2\n");
        Assert.Equal("ID", table.IdColumn);
        var join = table.Join(IdList.From(["t1", "t2"]), "task");
        Assert.Equal(["code", "math"], join.Column("family"));
    }

    [Fact]
    public void Join_Mismatches_AreCountedAndSampledOnBothSides()
    {
        // Given: 8 matrix ids, metadata for 5 of them plus 3 others.
        var ids = IdList.From(Enumerable.Range(0, 8).Select(i => $"ex{i}"));
        var table = Read("id,source\nex0,a\nex2,b\nzz1,c\nex4,d\nzz2,e\nex6,f\nex7,g\nzz3,h\n");

        // When
        var join = table.Join(ids);

        // Then
        Assert.False(join.IsComplete);
        Assert.Equal((5, 3, 3), (join.MatchedCount, join.MissingCount, join.UnusedCount));
        Assert.Equal(["ex1", "ex3", "ex5"], join.MissingSample);
        Assert.Equal(["zz1", "zz2", "zz3"], join.UnusedSample);
        Assert.Equal(["a", null, "b", null, "d", null, "f", "g"], join.Column("source"));
        var e = Assert.Throws<ForgettingDataException>(() => join.RequireComplete());
        Assert.Contains("3 of the matrix's 8 example ids have no row (first: 'ex1', 'ex3', 'ex5'); 3 of its 8 rows match no example of the matrix (first: 'zz1', 'zz2', 'zz3')", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Join_ImplicitIdsMissing_HintsAtPositions()
    {
        var e = Assert.Throws<ForgettingDataException>(() => Read("id,source\na,x\n").Join(IdList.Implicit(3)).RequireComplete());
        Assert.Contains("so they are 0..2 (column positions)", e.Message, StringComparison.Ordinal);
    }

    [Theory]
    // pd.read_csv('upstream.csv').to_csv(header=False, index=False): its first row read as the header, so example 0 had no
    // metadata and the groups were named after a column 'license' (QA), with only a generic "1 have no metadata row" warning.
    [InlineData("0,license\n1,license\n2,perl\n", "0", true)]
    [InlineData("0,0.25,license\n1,0.5,perl\n", "0", true)]          // a numeric column under a number
    [InlineData("0,base_loss\n1,0.5\n2,0.25\n", "0", false)]         // a word over numbers is a column name
    [InlineData("id,source\n1,license\n2,perl\n", "id", false)]
    [InlineData("example,source\n1,license\n", "example", false)]  // 'example' is a header even when an example is so named
    public void Join_ATableWrittenWithoutItsHeaderLine_IsRefusedNamingTheFileAndTheFix(string text, string idColumn, bool refused)
    {
        var ids = IdList.From(["0", "1", "2", "example"]);
        var table = Read(text);

        var e = Record.Exception(() => table.Join(ids));

        Assert.Equal(idColumn, table.IdColumn);
        if (!refused)
        {
            Assert.Null(e);
            return;
        }

        var refusal = Assert.IsType<ForgettingDataException>(e);
        Assert.Equal(
            "meta.csv:1: its first line names example '0' where a header belongs: the file has no header line (pandas writes none with header=False), so example '0' would have no metadata. "
            + "Add a header line naming the columns (e.g. 'id,source') above the rows, or write the file with its header (pandas: to_csv without header=False).",
            refusal.Message);

        // Named as the id column, the header is taken at its word, as --exclude-columns takes it.
        var named = MetadataTable.Read(new MemoryStream(System.Text.Encoding.UTF8.GetBytes(text)), "meta.csv", idColumn);
        Assert.Equal(named.RowCount, named.Join(ids).MatchedCount);
    }

    [Theory]
    [InlineData("id,source\nex0,a\nex1,b\nex0,c\n", "example id 'ex0' appears twice, on line 2 and on line 4", 4)]
    [InlineData("id,source\nzz,a\nzz,b\n", "example id 'zz' appears twice, on line 2 and on line 3", 3)]
    [InlineData("id,source\n,a\n", "is empty; every metadata row needs an id", 2)]
    public void Join_BadIds_AreRefusedWithLines(string text, string expected, long line)
    {
        var e = Assert.Throws<ForgettingDataException>(() => Read(text).Join(IdList.From(["ex0", "ex1"])));
        Assert.Contains(expected, e.Message, StringComparison.Ordinal);
        Assert.Equal(line, e.Line);
    }

    [Theory]
    [InlineData("id,id\n1,2\n", "column 'id' appears twice in the header (columns 1 and 2)")]
    [InlineData("id,,x\n1,2,3\n", "header cell 2 is empty")]
    [InlineData("id,x\n1,2,3\n", "row has 3 fields but the header has 2")]
    [InlineData("", "the metadata file is empty")]
    public void Read_BadTable_IsRefused(string text, string expected) =>
        Assert.Contains(expected, Assert.Throws<ForgettingDataException>(() => Read(text)).Message, StringComparison.Ordinal);

    [Fact]
    public void Read_UnsupportedExtension_SaysWhatIsRead()
    {
        var e = Assert.Throws<ForgettingDataException>(() => MetadataTable.Read("meta.xlsx"));
        Assert.Contains("export the table as CSV", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Create_FromColumns_JoinsLikeACsvTable()
    {
        var table = MetadataTable.Create("meta.parquet", ["id", "domain"], [new[] { "1", "0" }, new string?[] { "web", null }]);
        var join = table.Join(IdList.Implicit(2));
        Assert.Equal(["", "web"], join.Column("domain"));
        Assert.Throws<ArgumentException>(() => MetadataTable.Create("m", ["a", "b"], [new[] { "1" }, new[] { "1", "2" }]));
    }

    private static MetadataTable Read(string text)
    {
        using var stream = new MemoryStream(System.Text.Encoding.UTF8.GetBytes(text));
        return MetadataTable.Read(stream, "meta.csv");
    }
}

/// <summary>The pandas index rule and the named columns of <see cref="TableColumns"/>, in every table reader.</summary>
public class PandasIndexTests
{
    private static MetadataTable Csv(string text, string? idColumn = null) =>
        MetadataTable.Read(new MemoryStream(System.Text.Encoding.UTF8.GetBytes(text)), "m.csv", idColumn);

    [Theory]
    [InlineData("Unnamed: 0", 0)]
    [InlineData(" unnamed: 1 ", 1)]         // as names are matched: ignoring case and surrounding spaces
    [InlineData("Unnamed: 2", 2)]           // a column so named is that column, not an empty one
    [InlineData("Unnamed: 3", -1)]          // position 3 has a name
    [InlineData("Unnamed: 9", -1)]
    public void IndexOf_FindsAnEmptyHeaderCellByThePandasName(string name, int expected) =>
        Assert.Equal(expected, TableColumns.IndexOf(["", " ", "Unnamed: 2", "x"], name));

    [Theory]
    [InlineData(",id,source\n0,e1,a\n1,e2,b\n", "id")]
    [InlineData(",example,source\n0,e1,a\n1,e2,b\n", "example")]
    [InlineData(",source\ne1,a\ne2,b\n", TableColumns.PandasIndex)]
    [InlineData("Unnamed: 0,example\n0,e1\n1,e2\n", "example")]
    [InlineData("column,source\ne1,a\ne2,b\n", "column")]
    [InlineData(",source\n0,a\n1,b\n2,a\n", TableColumns.PandasIndex)]
    [InlineData(",source,domain\n0,a,x\n1,,x\n", TableColumns.PandasIndex)]
    [InlineData(",source,name\n0,a,e1\n1,a,e2\n", "source")]
    [InlineData("Unnamed: 0,source\n0,a\n1,a\n", TableColumns.PandasIndex)]
    [InlineData(",base_loss,source\n0,0.44,a\n1,0.955,a\n2,0.5,b\n", TableColumns.PandasIndex)]
    [InlineData("index,column,source\n0,e7,a\n1,e3,b\n", "column")]          // polars' with_row_index() of a shuffled frame
    [InlineData("row_nr,example\n0,e2\n1,e1\n", "example")]                   // polars' with_row_count(), before 0.20
    [InlineData("index,source\n0,a\n1,a\n", "index")]                         // the row numbers are the only ids
    [InlineData("index,source\ne1,a\ne2,b\n", "index")]                       // reset_index() of a frame indexed by its ids
    [InlineData("index,name\n5,t1\n3,t2\n", "index")]                         // not row numbers: an ordinary first column
    public void IdColumn_FollowsTheOneRule(string text, string expected)
    {
        var table = Csv(text);

        Assert.Equal(expected, table.IdColumn);
        Assert.DoesNotContain(TableColumns.PandasIndex, table.DataColumns);
        Assert.DoesNotContain(expected, table.DataColumns);
        if (table.ColumnNames[0] is "index" or "row_nr" && expected != table.ColumnNames[0])
        {
            Assert.DoesNotContain(table.ColumnNames[0], table.DataColumns);
        }
    }

    // QA (a polars user): with_row_index() adds 'index', the row numbers 0, 1, 2..., first. Beside the real ids of a shuffled
    // frame it had been taken as the ids: --examples keyed example 4049 by row 4049 (groups scrambled), --exclude left out
    // examples 0..199 instead of the listed ones, and in --task-features it became a numeric feature.
    [Fact]
    public void PolarsRowIndex_IsNeitherTheIdsNorAColumnToGroupBy()
    {
        var table = Csv("index,column,source\n0,7,perl\n1,3,python\n2,0,perl\n");
        var join = table.Join(Core.IdList.Implicit(8), "example");

        Assert.Equal("column", table.IdColumn);
        Assert.Equal(["source"], table.DataColumns);
        Assert.Equal("perl", join.Column("source")[7]);
        Assert.Equal("python", join.Column("source")[3]);
        Assert.Equal("perl", join.Column("source")[0]);
    }

    [Fact]
    public void PandasExportOfAGroupColumn_JoinsToABareNpyMatrixByRowNumber()
    {
        // Given: pd.DataFrame({'source': [...]}).to_csv() for a matrix without ids (a bare .npy: ids 0..N-1).
        var path = Path.Combine(ForgetPredict.Testing.RepoPaths.NewTempFolder(), "mp.csv");
        ExternalTool.RunPython("import pandas as pd, sys\npd.DataFrame({'source': ['a', 'b', 'c'] * 100}).to_csv(sys.argv[1])", path);
        Assert.Equal(",source", File.ReadLines(path).First());

        // When
        var table = MetadataTable.Read(path);
        var join = table.Join(Core.IdList.Implicit(300), "example");

        // Then: keyed by the index, 'source' is the one column to group by, and every example has its row.
        Assert.Equal(TableColumns.PandasIndex, table.IdColumn);
        Assert.Equal(["source"], table.DataColumns);
        Assert.True(join.IsComplete);
        Assert.Equal(0, join.UnusedCount);
        Assert.Equal(["a", "b", "c", "a"], join.Column("source").Take(4));
    }

    [Fact]
    public void SampledOrSortedFrame_ItsOldRowNumbersAndAnIdColumn_AreRefusedAsAmbiguous_UnlessOneIsNamed()
    {
        // Given: a held-out list as pandas writes a sampled frame with its index: the index holds the old row numbers, which
        // look like the integer ids in 'column' (charlm-b's ids are 0..2399), so taking it would exclude the wrong examples.
        var path = Path.Combine(ForgetPredict.Testing.RepoPaths.NewTempFolder(), "held.csv");
        ExternalTool.RunPython("import pandas as pd, sys\ndf = pd.DataFrame({'column': range(1000, 1300)}).sample(40, random_state=0)\ndf.to_csv(sys.argv[1])", path);
        var table = MetadataTable.Read(path);

        // Then: asking for its ids says why and how to fix it; naming the column works
        var error = Assert.Throws<ForgettingDataException>(() => table.Ids);
        Assert.Contains("held.csv: column 'Unnamed: 0' is a pandas index of whole numbers that are not the row numbers 0, 1, 2... in order, and column 'column' could hold the ids too", error.Message, StringComparison.Ordinal);
        Assert.Contains("Name the id column with the table option's -columns companion ('column' or the index's name, e.g. --examples-columns or --exclude-columns), or write the file with index=False.", error.Message, StringComparison.Ordinal);
        Assert.All(MetadataTable.Read(path, "column").Ids, id => Assert.InRange(int.Parse(id, System.Globalization.CultureInfo.InvariantCulture), 1000, 1299));

        // A sorted frame's index is a permutation of its row numbers: the same.
        Assert.Throws<ForgettingDataException>(() => Csv(",column,source\n1,e1,a\n0,e0,b\n").IdColumn);

        // Joined to a matrix's ids, the column whose values name them settles it (string ids beside old row numbers); the
        // columns to group by are known before, without either candidate...
        var ambiguous = Csv(",column,source\n1,e1,a\n0,e0,b\n");
        Assert.Equal(["source"], ambiguous.DataColumns);
        var join = ambiguous.Join(Core.IdList.From(["e0", "e1"]));
        Assert.True(join.IsComplete);
        Assert.Equal("column", join.IdColumn);
        Assert.Equal(["b", "a"], join.Column("source"));

        // ... and when both name them, it stays ambiguous.
        Assert.Throws<ForgettingDataException>(() => Csv(",column,source\n1,0,a\n0,1,b\n").Join(Core.IdList.Implicit(2)));

        // An index of whole numbers beside decimal data or repeated groups holds the ids, as before.
        Assert.Equal(TableColumns.PandasIndex, Csv(",lr\n5,0.001\n9,0.002\n").IdColumn);
        Assert.Equal(TableColumns.PandasIndex, Csv(",source\n5,a\n9,a\n").IdColumn);
    }

    [Fact]
    public void IdColumn_Named_IsUsed_AndAMissingOneIsRefusedListingTheColumns()
    {
        Assert.Equal(TableColumns.PandasIndex, Csv(",example\n0,e1\n1,e2\n", "Unnamed: 0").IdColumn);
        Assert.Equal("name", Csv("source,name\na,e1\n", "NAME").IdColumn);
        var error = Assert.Throws<ForgettingDataException>(() => Csv("source,name\na,e1\n", "nme"));
        Assert.Contains("there is no column 'nme' to take the ids from; did you mean 'name'? Columns: 'source', 'name'.", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void FeatureTable_PandasIndexOfRowNumbers_IsNotAFeature()
    {
        // Given: pandas' to_csv() of a frame with a task column: ",task,lr,family".
        var path = Path.Combine(ForgetPredict.Testing.RepoPaths.NewTempFolder(), "tasks.csv");
        File.WriteAllText(path, ",task,lr,family\n0,t0,0.1,a\n1,t1,0.2,b\n2,t2,0.3,a\n");

        // When
        var features = FeatureFile.Read(path, Core.IdList.From(["t2", "t0", "t1"]), "task");

        // Then: lr and the family categories, not the row numbers.
        Assert.Equal(["lr", "family=a", "family=b"], features.Blocks.SelectMany(b => b.Columns));
    }

    [Theory]
    [InlineData("ex,v\ne0,0.5\n", null, "the table needs an example column 'example' and a value column 'value' (found: 'ex', 'v')")]
    [InlineData(",ex,v\n0,e0,0.5\n", "ex,v", null)]
    [InlineData(",example,value\n0,e0,0.5\n", null, null)]
    [InlineData(",example,value\n17,e0,0.5\n", null, null)]
    public void ObservedCells_NamedColumnsAndPandasIndex(string text, string? columns, string? error)
    {
        var path = Path.Combine(ForgetPredict.Testing.RepoPaths.NewTempFolder(), "obs.csv");
        File.WriteAllText(path, text);
        var names = columns is null ? null : TableColumns.Parse(columns, ["EXAMPLE", "VALUE"]);

        if (error is null)
        {
            var cells = ObservedCells.Read(path, Core.IdList.From(["e0", "e1"]), new ExampleMatching(false, "pass --by-index"), names);
            Assert.Equal([0], cells.Examples);
            Assert.Equal([0.5], cells.Values);
        }
        else
        {
            var e = Assert.Throws<ForgettingDataException>(() => ObservedCells.Read(path, Core.IdList.From(["e0"]), new ExampleMatching(false, "pass --by-index"), names));
            Assert.Contains(error, e.Message, StringComparison.Ordinal);
            Assert.Contains("ObservedCells.Columns = EXAMPLE,VALUE", e.Message, StringComparison.Ordinal);
        }
    }

    [Theory]
    [InlineData("a", 1, "a")]
    [InlineData(" a , b ", 2, "a|b")]
    public void Parse_SplitsAndTrims(string text, int roles, string expected) =>
        Assert.Equal(expected.Split('|'), TableColumns.Parse(text, [.. Enumerable.Repeat("R", roles)]));

    [Theory]
    [InlineData("a,b", 1, "takes 1 column name: R (got 'a,b').")]
    [InlineData("a,", 2, "takes 2 column names: R,R (got 'a,').")]
    [InlineData("a,A", 2, "names a column twice ('a,A'); give R,R, each a different column.")]
    public void Parse_WrongNames_AreRefused(string text, int roles, string expected)
    {
        var e = Assert.Throws<ArgumentException>(() => TableColumns.Parse(text, [.. Enumerable.Repeat("R", roles)]));
        Assert.StartsWith(expected, e.Message, StringComparison.Ordinal);
    }
}
