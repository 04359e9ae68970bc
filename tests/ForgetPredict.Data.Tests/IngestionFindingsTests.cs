using System.Globalization;
using ForgetPredict.Core;
using ForgetPredict.Data.Tests.Parquet;
using ForgetPredict.Testing;

namespace ForgetPredict.Data.Tests;

/// <summary>Files made by numpy, pandas and DuckDB that a QA pass fed the readers, each once misread or misdiagnosed.</summary>
public class IngestionFindingsTests
{
    private static string Folder() => RepoPaths.NewTempFolder();

    // pandas' to_csv() of a 5 x 7 frame with index 10..14: the index's header cell is empty.
    private static string PandasCsvWithIndex(string folder)
    {
        var path = Path.Combine(folder, "intidx.csv");
        var lines = new List<string> { "," + string.Join(",", Enumerable.Range(0, 7).Select(j => $"e{j}")) };
        for (var i = 0; i < 5; i++)
        {
            lines.Add(string.Create(CultureInfo.InvariantCulture, $"{10 + i},") + string.Join(",", Enumerable.Range(0, 7).Select(j => (0.1 * ((i + j) % 5)).ToString("0.0###", CultureInfo.InvariantCulture))));
        }

        File.WriteAllLines(path, lines);
        return path;
    }

    [Fact]
    public void WideParquet_DuckDbConvertedPandasCsv_TakesColumn0AsTheTaskIds()
    {
        // DuckDB's read_csv names the empty header cell column0 (BIGINT); it had been read as an example holding the task ids.
        var folder = Folder();
        var csv = PandasCsvWithIndex(folder);
        var parquet = Path.Combine(folder, "intidx.parquet");
        var duck = ConformanceTools.DuckDbWrite(parquet, $"SELECT * FROM read_csv('{csv}')", "");
        Assert.Equal("column0", duck.Names[0]);

        var fromParquet = MatrixFile.Read(parquet);
        var fromCsv = MatrixFile.Read(csv);

        Assert.Equal((5, 7), (fromParquet.TaskCount, fromParquet.ExampleCount));
        Assert.Equal(["10", "11", "12", "13", "14"], fromParquet.TaskIds.ToArray());
        Assert.Equal(fromCsv.ExampleIds.ToArray(), fromParquet.ExampleIds.ToArray());
        Assert.Equal(fromCsv.Values.ToArray(), fromParquet.Values.ToArray());
    }

    [Theory]
    [InlineData("0,1,1,0\n1,0,0,1\n0,0,1,1\n1,1,0,0\n0,1,0,1\n", 5, 4)]
    [InlineData("0,5,7,2\n100,3,4,1\n200,2,8,6\n", 3, 4)]
    public void WideParquet_AHeaderlessCsvConvertedByDuckDb_ReadsEveryColumnAsAnExample(string rows, int tasks, int examples)
    {
        // Given: a CSV without a header (a 0/1 matrix, or integers whose first column happens to be distinct): DuckDB names
        // every column, column0 to column3, and column0 is the first example, not pandas' index.
        var folder = Folder();
        var csv = Path.Combine(folder, "headerless.csv");
        File.WriteAllText(csv, rows);
        var parquet = Path.Combine(folder, "headerless.parquet");
        var duck = ConformanceTools.DuckDbWrite(parquet, $"SELECT * FROM read_csv('{csv}', header=false)", "");
        Assert.Equal(["column0", "column1", "column2", "column3"], duck.Names);

        // When
        var z = MatrixFile.Read(parquet);

        // Then: every column is an example and the values are the file's.
        Assert.Equal((tasks, examples), (z.TaskCount, z.ExampleCount));
        Assert.Equal(["column0", "column1", "column2", "column3"], z.ExampleIds.ToArray());
        var expected = rows.Split('\n', StringSplitOptions.RemoveEmptyEntries).SelectMany(r => r.Split(',').Select(float.Parse)).ToArray();
        Assert.Equal(expected, z.Values.ToArray());
    }

    [Fact]
    public void WideParquet_Column0OfDecimals_StaysAnExample()
    {
        // Only whole numbers or text under DuckDB's name are an index: a first example that happens to be called column0 is data.
        var parquet = Path.Combine(Folder(), "decimals.parquet");
        ConformanceTools.DuckDbWrite(parquet, "SELECT 0.25::DOUBLE AS column0, 0.5::DOUBLE AS column1 FROM range(3)", "");

        var matrix = MatrixFile.Read(parquet);

        Assert.Equal(["column0", "column1"], matrix.ExampleIds.ToArray());
        Assert.Equal(["0", "1", "2"], matrix.TaskIds.ToArray());
    }

    [Fact]
    public void TaskFeatures_DuckDbConvertedPandasCsvWithIndex_TakeRowAsTheIds_NotColumn0()
    {
        // charlm-d's tasks.csv written by pandas with its index: column0 (0..30) had been chosen as the id column and 'row', the
        // real ids, read as a numeric feature.
        var folder = Folder();
        var source = File.ReadAllLines(RepoPaths.Data("charlm-d", "tasks.csv"));
        var csv = Path.Combine(folder, "t_idx.csv");
        File.WriteAllLines(csv, source.Select((line, r) => (r == 0 ? string.Empty : (r - 1).ToString(CultureInfo.InvariantCulture)) + "," + line));
        var parquet = Path.Combine(folder, "t_idx.parquet");
        ConformanceTools.DuckDbWrite(parquet, $"SELECT * FROM read_csv('{csv}')", "");
        var ids = IdList.From(source.Skip(1).Select(line => line.Split(',')[0]));

        var features = FeatureFile.Read(parquet, ids);

        Assert.Equal(["row"], features.IdColumns);
        var columns = features.Blocks.SelectMany(b => b.Columns).ToArray();
        Assert.DoesNotContain("row", columns);
        Assert.DoesNotContain("column0", columns);
        Assert.Contains("lr", columns);
    }

    [Fact]
    public void TaskFeatures_WrittenWithDecimalCommas_AreRefusedNamingTheCellAndTheFix()
    {
        // pd.read_csv(tasks.csv).to_csv(index=False, decimal=','): lr had silently become one category per value.
        var path = Path.Combine(Folder(), "t_dc.csv");
        File.WriteAllText(path, "row,task,family,lr,steps\n0,html-1,web,\"0,0003\",150\n1,html-3,web,\"0,0001\",300\n2,py-1,code,\"0,0003\",300\n");

        var e = Assert.Throws<ForgettingDataException>(() => FeatureFile.Read(path, IdList.From(["0", "1", "2"])));

        Assert.Equal(path + ":2: column 'lr': task '0': '0,0003' uses a decimal comma; numbers must use '.' as the decimal point. Re-export the file with a decimal point (pandas: to_csv(decimal='.'); a spreadsheet: use an English number format, or replace ',' by '.' in the numbers). Every number of the column is written so; read as text, each value would become a category of its own.", e.Message);
    }

    [Fact]
    public void ExampleFeatures_ACategoryOnNearlyEveryRow_IsLeftOutAsOneOnEveryRowIs()
    {
        // 200 examples, 190 distinct texts (a name with repeats): 190 one-hot columns that no new example could share, left
        // out as a column with a different text on every row is (it had been refused, while that one was left out).
        var path = Path.Combine(Folder(), "codes.csv");
        File.WriteAllLines(path, ["id,code,name,source", .. Enumerable.Range(0, 200).Select(i => string.Create(CultureInfo.InvariantCulture, $"{i},c{Math.Min(i, 189)},n{i},{(i % 2 == 0 ? "web" : "code")}"))]);

        var features = FeatureFile.Read(path, IdList.Implicit(200), "example");

        Assert.Equal(["source=code", "source=web"], features.Blocks.Single().Columns);
    }

    [Fact]
    public void ExampleFeatures_OneHotColumnsBeyondTheLimit_AreRefusedBeforeTheyAreBuilt()
    {
        // 40,000 examples in 7,000 categories (not nearly one per row): 280 million one-hot values, beyond 2^28.
        var path = Path.Combine(Folder(), "domains.csv");
        File.WriteAllLines(path, ["id,domain", .. Enumerable.Range(0, 40_000).Select(i => string.Create(CultureInfo.InvariantCulture, $"{i},d{i % 7000}"))]);

        var before = GC.GetAllocatedBytesForCurrentThread();
        var e = Assert.Throws<ForgettingDataException>(() => FeatureFile.Read(path, IdList.Implicit(40_000), "example"));

        Assert.Contains("column 'domain' is text with 7,000 different values over 40,000 examples: its one-hot columns would hold 280,000,000 values", e.Message, StringComparison.Ordinal);
        Assert.Equal("domain", e.Column);
        Assert.True(GC.GetAllocatedBytesForCurrentThread() - before < 500_000_000, "the one-hot columns are not built");
    }

    [Fact]
    public void ExampleFeatures_AFewCategoriesOverManyRows_AreStillOneHot()
    {
        var path = Path.Combine(Folder(), "sources.csv");
        File.WriteAllLines(path, ["id,source", .. Enumerable.Range(0, 200).Select(i => string.Create(CultureInfo.InvariantCulture, $"{i},s{i % 60}"))]);

        var features = FeatureFile.Read(path, IdList.Implicit(200), "example");

        Assert.Equal(60, features.Blocks.Single().Columns.Count);
    }

    [Fact]
    public void Npz_AMatrixWithAnIdsArray_IsRefusedNamingTheAcceptedNames()
    {
        // np.savez(path, z=z, ids=...): 'ids' names an embedding's rows; in a matrix it had been ignored, the tasks numbered 0...
        var folder = Folder();
        ExternalTool.RunPython("""
            import numpy as np, sys, os
            z = np.arange(12, dtype='f4').reshape(3, 4) / 12
            np.savez(os.path.join(sys.argv[1], 'ids.npz'), z=z, ids=np.array(['a', 'b', 'c']))
            np.savez(os.path.join(sys.argv[1], 'cols.npz'), z=z, cols=np.array(['e0', 'e1', 'e2', 'e3']))
            np.savez(os.path.join(sys.argv[1], 'empty.npz'), z=z, task_ids=np.array(['a', '', 'c']))
            """, folder);
        string F(string name) => Path.Combine(folder, name);

        var ids = Assert.Throws<ForgettingDataException>(() => MatrixFile.Read(F("ids.npz")));
        var cols = Assert.Throws<ForgettingDataException>(() => MatrixFile.Read(F("cols.npz")));
        var empty = Assert.Throws<ForgettingDataException>(() => MatrixFile.Read(F("empty.npz")));

        Assert.Contains("array 'ids' holds 3 values, one per row of 'z', but task ids are read only from an array named 'task_ids' or 'tasks'", ids.Message, StringComparison.Ordinal);
        Assert.Contains("array 'cols' holds 4 values, one per column of 'z', but example ids are read only from an array named 'example_ids' or 'examples'", cols.Message, StringComparison.Ordinal);
        Assert.Contains("array 'task_ids' entry 1 is an empty string; every id must be non-empty", empty.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("appears once", empty.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Npz_AnEmbeddingWithAnIdsArray_IsStillRead()
    {
        var folder = Folder();
        ExternalTool.RunPython("""
            import numpy as np, sys, os
            np.savez(os.path.join(sys.argv[1], 'emb.npz'), emb=np.ones((3, 2)), ids=np.array(['a', 'b', 'c']))
            """, folder);
        using var stream = File.OpenRead(Path.Combine(folder, "emb.npz"));

        var (rows, hasIds) = ForgetPredict.Data.Formats.NpzFormat.ReadEmbedding(stream, "emb.npz");

        Assert.True(hasIds);
        Assert.Equal(["a", "b", "c"], rows.TaskIds.ToArray());
    }

    [Fact]
    public void UnknownIds_WithLeadingZerosTheModelLacks_AreDiagnosedAsSuch()
    {
        // '01740' against the model's '1740': the reverse of pandas dropping zeros had been diagnosed only as "check the ids".
        var references = new ForgetPredict.Data.Formats.ExampleReferences(IdList.From(["17", "1740", "300"]), new ForgetPredict.Data.Formats.ExampleMatching(false, "pass --by-index"));

        var said = references.DescribeUnknown(["01740"]);

        Assert.Equal("example '01740' is not one of the model's 3 example ids; they are example ids with leading zeros the examples' ids lack ('01740' for '1740'), as when pandas read the ids of one file as numbers and the other kept them as text: strip the zeros (pandas: astype(int) before writing), or keep the zeros on both sides (pd.read_csv(..., dtype=str)) and refit", said);
        Assert.EndsWith("check the ids, or refit the model on a matrix that has them", references.DescribeUnknown(["01741"]), StringComparison.Ordinal);
    }

    [Fact]
    public void TaskFeaturesAndMetadata_WithZeroPaddedIds_NameTheZerosAsTheCause()
    {
        var folder = Folder();
        var features = Path.Combine(folder, "t_pad.csv");
        File.WriteAllLines(features, ["row,lr", "000,0.1", "001,0.2", "002,0.3"]);
        var metadata = Path.Combine(folder, "m_pad.csv");
        File.WriteAllLines(metadata, ["id,source", "0000,web", "0001,code", "0002,web"]);

        var e = Assert.Throws<ForgettingDataException>(() => FeatureFile.Read(features, IdList.From(["0", "1", "2"])));
        var m = Assert.Throws<ForgettingDataException>(() => MetadataTable.Read(metadata).Join(IdList.From(["0", "1", "2"]), "example").RequireAny());

        Assert.Contains("Its ids are task ids with leading zeros the tasks' ids lack ('000' for '0')", e.Message, StringComparison.Ordinal);
        Assert.Contains("Its ids are example ids with leading zeros the examples' ids lack ('0000' for '0')", m.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void WideCsv_APivotWithoutValues_SaysToNameTheValueColumn()
    {
        // df.pivot(index='task', columns='example').to_csv(): every column is named 'value', the examples on a second line.
        var path = Path.Combine(Folder(), "pivot.csv");
        File.WriteAllText(path, ",value,value\nexample,0,1\ntask,,\nt0,0.1,0.2\nt1,0.3,0.4\n");

        var e = Assert.Throws<ForgettingDataException>(() => MatrixFile.Read(path));

        Assert.Contains("example id 'value' is in the header twice", e.Message, StringComparison.Ordinal);
        Assert.Contains("df.pivot(index='task', columns='example', values='value')", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Observed_ParquetWithANullExampleId_SaysTheIdIsNullInItsColumn()
    {
        // DuckDB writes a missing id as null: it had been reported as the unknown example '' in a column named 'example'.
        var path = Path.Combine(Folder(), "observed.parquet");
        ConformanceTools.DuckDbWrite(path, "SELECT * FROM (VALUES ('e0', 0.1), (NULL, 0.2)) v(ex, val)", "");

        var e = Assert.Throws<ForgettingDataException>(() => ForgetPredict.Data.Formats.ObservedCells.Read(path, IdList.From(["e0", "e1"]), new ForgetPredict.Data.Formats.ExampleMatching(false, "pass --by-index"), ["ex", "val"]));

        Assert.Equal(path + ": row 2: column 'ex': the example id is null or empty; every measured cell needs its example's id: fill it in, or drop the row.", e.Message);
    }

    [Fact]
    public void TaskFeatures_AnEmptyCategory_NamesItsLine()
    {
        var path = Path.Combine(Folder(), "t_catnan.csv");
        File.WriteAllLines(path, ["row,family", "0,web", "1,", "2,code"]);

        var e = Assert.Throws<ForgettingDataException>(() => FeatureFile.Read(path, IdList.From(["0", "1", "2"])));

        Assert.Equal(3, e.Line);
        Assert.Equal("family", e.Column);
    }

    [Fact]
    public void WideParquet_PandasIntegerColumnLabelsTakenForARow_AreRefusedNamingTheHeader()
    {
        // pd.DataFrame(z).to_csv() writes the header ",0,1,2"; DuckDB's read_csv takes it for a data row (null, 0, 1, 2).
        var folder = Folder();
        var csv = Path.Combine(folder, "intlab.csv");
        File.WriteAllText(csv, ",0,1,2\n0,0.1,0.2,0.3\n1,0.4,0.5,0.6\n");
        var parquet = Path.Combine(folder, "intlab.parquet");
        ConformanceTools.DuckDbWrite(parquet, $"SELECT * FROM read_csv('{csv}')", "");

        var e = Assert.Throws<ForgettingDataException>(() => MatrixFile.Read(parquet));

        Assert.Contains("a task id is null; every row needs an id. Row 1 may be a header DuckDB's read_csv took for data", e.Message, StringComparison.Ordinal);
        Assert.Equal(1, e.Line);
    }
}
