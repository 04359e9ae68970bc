using System.Globalization;
using ForgetPredict.Core;
using ForgetPredict.Data.Formats;
using ForgetPredict.Data.Tables;
using ForgetPredict.Data.Tests.Parquet;
using ForgetPredict.Testing;

namespace ForgetPredict.Data.Tests.Formats;

/// <summary>Matrices, output tables and metadata as Parquet, checked against DuckDB writing and reading the same files.</summary>
public class ParquetMatrixFormatTests
{
    private static ForgettingMatrix Sample()
    {
        var values = new float[3 * 4];
        for (var e = 0; e < values.Length; e++)
        {
            values[e] = (e * 0.125f) - 0.25f;
        }

        values[5] = float.NaN;
        return ForgettingMatrix.Create(values, 3, 4, ["flan-1", "tulu-2", "dolly-3"], ["wiki/1", "code,2", "web \"3\"", "books-4"]);
    }

    // QA: DuckDB's COPY of a long query whose value column is 'loss' was refused as "Id 't0' appears twice, at positions 0
    // and 5", naming neither the column, the rows, nor the fix; a wide file with a repeated task said the same.
    [Fact]
    public void Read_RepeatedTaskIds_NameTheColumnAndRows_AndALongTableGetsItsColumnsAsTheFix()
    {
        var folder = RepoPaths.NewTempFolder();
        var longish = Path.Combine(folder, "long-loss.parquet");
        var wide = Path.Combine(folder, "wide-dup.parquet");
        ConformanceTools.DuckDbWrite(longish, "SELECT 't' || i AS task, j AS example, CAST(i + j AS DOUBLE) / 8 AS loss FROM range(5) r(i), range(4) s(j) ORDER BY i, j", "COMPRESSION snappy");
        ConformanceTools.DuckDbWrite(wide, "SELECT 't' || (i % 3) AS task, CAST(i AS DOUBLE) AS a FROM range(5) r(i) ORDER BY i", "COMPRESSION snappy");

        var e = Assert.Throws<ForgettingDataException>(() => MatrixFile.Read(longish));
        var w = Assert.Throws<ForgettingDataException>(() => MatrixFile.Read(wide));

        Assert.Equal("task 't0' appears twice, in rows 1 and 2; task ids must be unique (keep one row per task). If this is a long table (one row per cell), read it with MatrixReadOptions.Layout = long and MatrixReadOptions.TaskColumn/ExampleColumn/ValueColumn = task,example,loss.", e.Detail);
        Assert.Equal((2L, "task"), (e.Line, e.Column));
        Assert.Equal("task 't0' appears twice, in rows 1 and 4; task ids must be unique (keep one row per task).", w.Detail);
        Assert.Equal(5, MatrixFile.Read(longish, new MatrixReadOptions { Layout = MatrixLayout.Long, ValueColumn = "loss" }).TaskCount);
    }

    [Theory]
    [InlineData(MatrixLayout.Wide)]
    [InlineData(MatrixLayout.Long)]
    public void WriteRead_RoundTripsValuesIdsAndMissingCells(MatrixLayout layout)
    {
        var path = Path.Combine(RepoPaths.NewTempFolder(), "m.parquet");
        var matrix = Sample();
        MatrixFile.Write(matrix, path, new MatrixWriteOptions { Layout = layout });
        var back = MatrixFile.Read(path);
        Assert.Equal(matrix.Values.ToArray(), back.Values.ToArray());
        Assert.Equal(matrix.TaskIds, back.TaskIds);
        Assert.Equal(matrix.ExampleIds, back.ExampleIds);
    }

    [Fact]
    public void Read_LongFileWrittenByDuckDb_WithIntegerIdsNullsAndRowGroups()
    {
        // 6 tasks x 50 examples, task and example ids as integers, cell (3, 7) null, 4 row groups.
        var path = Path.Combine(RepoPaths.NewTempFolder(), "duck-long.parquet");
        ConformanceTools.DuckDbWrite(path,
            "SELECT i // 50 AS task, i % 50 AS example, CASE WHEN i = 157 THEN NULL ELSE CAST(i AS FLOAT) / 1000 END AS value FROM range(300) t(i)",
            "ROW_GROUP_SIZE 80, COMPRESSION zstd");
        var matrix = MatrixFile.Read(path);
        Assert.Equal((6, 50), (matrix.TaskCount, matrix.ExampleCount));
        Assert.Equal("3", matrix.TaskIds[3]);
        Assert.True(float.IsNaN(matrix[3, 7]));
        Assert.Equal(1, matrix.MissingCount);
        Assert.Equal(299 / 1000f, matrix[5, 49]);
    }

    // QA: a wide Parquet file whose task ids are an integer column named run_id (DuckDB's integer key, or pandas'
    // df.set_index("run_id").to_parquet(), which pyarrow stores as a column and names in its "pandas" metadata) was read with
    // run_id as an example, its ids as forgetting values, where the same table as CSV was read right.
    [Theory]
    [InlineData("run_id", "", true)]
    [InlineData("id", "", true)]
    [InlineData("task_id", "", true)]
    [InlineData("Unnamed: 0", "", true)]
    [InlineData("k", "", false)]
    [InlineData("k", "KV_METADATA {pandas: '{\"index_columns\": [\"k\"], \"columns\": []}'}", true)]
    [InlineData("run_id", "KV_METADATA {pandas: '{\"index_columns\": [{\"kind\": \"range\"}], \"columns\": []}'}", true)]
    public void Read_WideFileWithAnIntegerIdColumn_TakesItsIdsWhenItsNameOrPandasSaySo(string name, string metadata, bool ids)
    {
        var path = Path.Combine(RepoPaths.NewTempFolder(), "int-ids.parquet");
        ConformanceTools.DuckDbWrite(path,
            $"SELECT (i + 100)::BIGINT AS \"{name}\", (i * 0.1 + 0.05)::DOUBLE AS ex_a, (i * 0.3 + 0.02)::DOUBLE AS ex_b FROM range(6) r(i)",
            metadata);

        var matrix = MatrixFile.Read(path);

        if (ids)
        {
            Assert.Equal(["100", "101", "102", "103", "104", "105"], matrix.TaskIds);
            Assert.Equal(["ex_a", "ex_b"], matrix.ExampleIds);
            Assert.Equal(0.35f, matrix[3, 0], 1e-6f);
        }
        else
        {
            // An integer column under any other name is an example (an integer matrix keeps its first column).
            Assert.Equal([name, "ex_a", "ex_b"], matrix.ExampleIds);
            Assert.Equal(103f, matrix[3, 0]);
        }
    }

    [Fact]
    public void Read_WideFileWrittenByDuckDb_TakesTheTaskColumnAndExampleColumns()
    {
        var path = Path.Combine(RepoPaths.NewTempFolder(), "duck-wide.parquet");
        ConformanceTools.DuckDbWrite(path,
            "SELECT 'task-' || i AS task, CAST(i AS FLOAT) / 10 AS \"ex-a\", CASE WHEN i = 1 THEN NULL ELSE CAST(i AS DOUBLE) END AS \"ex-b\" FROM range(4) t(i)",
            "COMPRESSION snappy");
        var matrix = MatrixFile.Read(path);
        Assert.Equal(["task-0", "task-1", "task-2", "task-3"], matrix.TaskIds);
        Assert.Equal(["ex-a", "ex-b"], matrix.ExampleIds);
        Assert.Equal(0.3f, matrix[3, 0]);
        Assert.True(float.IsNaN(matrix[1, 1]));
        Assert.Equal(2f, matrix[2, 1]);
    }

    [Theory]
    [InlineData(MatrixLayout.Wide)]
    [InlineData(MatrixLayout.Long)]
    public void Write_IsReadByDuckDbToIdenticalValues(MatrixLayout layout)
    {
        var path = Path.Combine(RepoPaths.NewTempFolder(), "ours.parquet");
        var matrix = Sample();
        MatrixFile.Write(matrix, path, new MatrixWriteOptions { Layout = layout });
        var duck = ReferenceTable.Parse(ConformanceTools.DuckDb("read", path));
        if (layout == MatrixLayout.Long)
        {
            Assert.Equal(["task", "example", "value"], duck.Names);
            Assert.Equal(11, duck.RowCount); // the missing cell is not written
            for (var r = 0; r < duck.RowCount; r++)
            {
                var i = matrix.TaskIds.IndexOf(duck.Columns[0][r].GetString()!);
                var j = matrix.ExampleIds.IndexOf(duck.Columns[1][r].GetString()!);
                Assert.Equal(matrix[i, j], (float)duck.Columns[2][r].GetDouble());
            }
        }
        else
        {
            Assert.Equal(["task", .. matrix.ExampleIds], duck.Names);
            for (var i = 0; i < 3; i++)
            {
                Assert.Equal(matrix.TaskIds[i], duck.Columns[0][i].GetString());
                for (var j = 0; j < 4; j++)
                {
                    var cell = duck.Columns[j + 1][i];
                    Assert.Equal(matrix[i, j], cell.ValueKind == System.Text.Json.JsonValueKind.Null ? float.NaN : (float)cell.GetDouble());
                }
            }
        }
    }

    [Fact]
    public void OutputTable_AsParquet_IsReadByDuckDb()
    {
        var path = Path.Combine(RepoPaths.NewTempFolder(), "table.parquet");
        var table = new OutputTable(
            TableColumn.Strings("example", ["a", "b", null]),
            TableColumn.Doubles("predicted", [0.5, double.NaN, -1.25]),
            TableColumn.Int64s("rank", [1, 2, null]),
            TableColumn.Booleans("revealed", [true, null, false]));
        TableFile.Write(table, path);
        var duck = ReferenceTable.Parse(ConformanceTools.DuckDb("read", path));
        Assert.Equal(["example", "predicted", "rank", "revealed"], duck.Names);
        Assert.Equal("a", duck.Columns[0][0].GetString());
        Assert.Equal(System.Text.Json.JsonValueKind.Null, duck.Columns[0][2].ValueKind);
        Assert.Equal(-1.25, duck.Columns[1][2].GetDouble());
        Assert.Equal(System.Text.Json.JsonValueKind.Null, duck.Columns[1][1].ValueKind);
        Assert.Equal("2", duck.Columns[2][1].ToString());
        Assert.Equal(System.Text.Json.JsonValueKind.False, duck.Columns[3][2].ValueKind);
    }

    [Fact]
    public void Metadata_FromParquet_JoinsByIdWithNumbersAsText()
    {
        var path = Path.Combine(RepoPaths.NewTempFolder(), "examples.parquet");
        ConformanceTools.DuckDbWrite(path, "SELECT i AS id, CASE WHEN i % 2 = 0 THEN 'code' ELSE 'wiki' END AS source FROM range(6) t(i)", "");
        var join = MetadataTable.Read(path).Join(IdList.Implicit(6), "example");
        Assert.True(join.IsComplete);
        Assert.Equal(["code", "wiki", "code", "wiki", "code", "wiki"], join.Column("source"));
    }

    [Fact]
    public void Read_LongFileWithRepeatedCell_NamesBothRows()
    {
        var path = Path.Combine(RepoPaths.NewTempFolder(), "dup.parquet");
        ConformanceTools.DuckDbWrite(path, "SELECT * FROM (VALUES ('t1', 'e1', 0.1), ('t1', 'e2', 0.2), ('t2', 'e1', 0.3), ('t1', 'e2', 0.4)) v(task, example, value)", "");
        var e = Assert.Throws<ForgettingDataException>(() => MatrixFile.Read(path));
        Assert.Contains("task 't1', example 'e2' appears twice, in rows 2 and 4", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Read_LongFileImplyingAHugeMatrix_IsRefusedBeforeAllocating()
    {
        // 3,000 rows whose ids are all distinct: a 3,000 x 3,000 matrix would be 9 M cells from 3,000 rows (cap: 3 M).
        var path = Path.Combine(RepoPaths.NewTempFolder(), "sparse.parquet");
        ConformanceTools.DuckDbWrite(path, "SELECT 't' || i AS task, 'e' || i AS example, 0.5 AS value FROM range(3000) t(i)", "");
        var e = Assert.Throws<ForgettingDataException>(() => MatrixFile.Read(path));
        Assert.Contains("the ids imply a 3000 x 3000 matrix", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Read_WideFileWithATextExampleColumn_SaysHowToReadItAsLong()
    {
        var path = Path.Combine(RepoPaths.NewTempFolder(), "text.parquet");
        ConformanceTools.DuckDbWrite(path, "SELECT 't' || i AS task, 'oops' AS note, 0.5 AS e1 FROM range(2) t(i)", "");
        var e = Assert.Throws<ForgettingDataException>(() => MatrixFile.Read(path));
        Assert.Contains("column 'note'", e.Message, StringComparison.Ordinal);
        Assert.Equal(DataOptionNames.Columns, Assert.Single(e.Options).Name);
    }

    [Fact]
    public void Convert_CharlmB_ToParquetAndBack_KeepsEveryValue()
    {
        var z = NpyFormat.Read(RepoPaths.Data("charlm-b", "z.npy"));
        var dir = RepoPaths.NewTempFolder();
        foreach (var layout in new[] { MatrixLayout.Wide, MatrixLayout.Long })
        {
            var path = Path.Combine(dir, string.Create(CultureInfo.InvariantCulture, $"z-{layout}.parquet"));
            MatrixFile.Write(z, path, new MatrixWriteOptions { Layout = layout });
            Assert.Equal(z.Values.ToArray(), MatrixFile.Read(path).Values.ToArray());
        }
    }

    // A wide file of four tasks: the given integer column (name, values) at the given position among task (text), e0 and e1.
    private static string WideWithIntegerColumn(string name, int[] values, int position, bool withTask = true)
    {
        var path = Path.Combine(RepoPaths.NewTempFolder(), "wide-index.parquet");
        var specs = new List<Data.Parquet.ParquetColumnSpec> { new("e0", Data.Parquet.ParquetValueType.Double), new("e1", Data.Parquet.ParquetValueType.Double) };
        var columns = new List<Data.Parquet.ParquetColumnData> { Data.Parquet.ParquetColumnData.FromDoubles(new[] { 0.1, 0.2, 0.3, 0.4 }), Data.Parquet.ParquetColumnData.FromDoubles(new[] { 1.5, 2.5, 3.5, 4.5 }) };
        if (withTask)
        {
            specs.Insert(0, new("task", Data.Parquet.ParquetValueType.String));
            columns.Insert(0, Data.Parquet.ParquetColumnData.FromStrings(new string?[] { "html-0", "html-1", "html-2", "html-3" }));
        }

        specs.Insert(position, new(name, Data.Parquet.ParquetValueType.Int64));
        columns.Insert(position, Data.Parquet.ParquetColumnData.FromInt64s(values.Select(v => (long)v).ToArray()));
        using (var stream = File.Create(path))
        using (var writer = Data.Parquet.ParquetWriter.Create(stream, specs))
        {
            writer.WriteRowGroup(columns);
            writer.Complete();
        }

        return path;
    }

    // QA (a polars user): with_row_index() writes 'index' (0, 1, 2...) before the frame's 'task' column; the file was read as
    // 12 x 31, 'index' an example holding the row numbers. Old polars' with_row_count() ('row_nr') and pandas' index
    // (__index_level_0__, a filtered frame's old row numbers) beside a task column had become examples alike.
    [Theory]
    [InlineData("index", 0)]
    [InlineData("index", 2)]
    [InlineData("row_nr", 0)]
    [InlineData("__index_level_0__", 0)]
    [InlineData("Unnamed: 0", 0)]
    public void Read_WideFileWithARowIndexBesideTheTaskColumn_LeavesTheIndexOut(string name, int position)
    {
        // Given: the row numbers (pandas' index: a filtered frame's 1, 4, 6, 9) beside the task ids
        var rows = name.StartsWith("__", StringComparison.Ordinal) || name.StartsWith("Unnamed", StringComparison.Ordinal) ? new[] { 1, 4, 6, 9 } : [0, 1, 2, 3];
        var path = WideWithIntegerColumn(name, rows, position);

        // When
        var matrix = MatrixFile.Read(path);

        // Then: the tasks are named by 'task', and the row numbers are no example
        Assert.Equal(["html-0", "html-1", "html-2", "html-3"], matrix.TaskIds);
        Assert.Equal(["e0", "e1"], matrix.ExampleIds);
        Assert.Equal(3.5f, matrix[2, 1]);
    }

    // QA (a polars user): with_row_count()'s 'row_nr' (0, 1, 2...) before the examples, without a task column, was read as an
    // example holding the row numbers; a column 'index' alone was already the row index (the tasks numbered 0, 1, 2...).
    [Theory]
    [InlineData("row_nr")]
    [InlineData("index")]
    public void Read_WideFileWithOnlyARowIndex_NumbersTheTasksByIt(string name)
    {
        // Given: polars' row numbers first, then the examples
        var path = WideWithIntegerColumn(name, [0, 1, 2, 3], 0, withTask: false);

        // When
        var matrix = MatrixFile.Read(path);

        // Then
        Assert.Equal(["0", "1", "2", "3"], matrix.TaskIds);
        Assert.Equal(["e0", "e1"], matrix.ExampleIds);
    }

    // QA (a polars user): with_row_index() before a filter leaves 'index' holding 1, 2, 3 beside 'task': an index of the rows
    // or an example of whole numbers, it is refused naming both readings rather than read either way.
    [Fact]
    public void Read_WideFileWithAnIndexOfOtherNumbersBesideTheTaskColumn_IsRefusedNamingBothFixes()
    {
        // Given
        var path = WideWithIntegerColumn("index", [1, 2, 3, 5], 0);

        // When
        var e = Assert.Throws<ForgettingDataException>(() => MatrixFile.Read(path));

        // Then: the column, the row and both fixes
        Assert.Contains("column 'index'", e.Message, StringComparison.Ordinal);
        Assert.Contains("not the row numbers 0, 1, 2...", e.Message, StringComparison.Ordinal);
        Assert.Contains("df.drop('index')", e.Message, StringComparison.Ordinal);
        Assert.Contains("df.rename(", e.Message, StringComparison.Ordinal);
        Assert.Equal(1, e.Line);
    }

    [Fact]
    public void Read_WideFileWithADecimalColumnNamedIndex_KeepsItAsAnExample()
    {
        // Given: an example that happens to be named 'index' (decimals: no row numbers)
        var path = Path.Combine(RepoPaths.NewTempFolder(), "decimal-index.parquet");
        using (var stream = File.Create(path))
        using (var writer = Data.Parquet.ParquetWriter.Create(stream, [new("task", Data.Parquet.ParquetValueType.String), new("index", Data.Parquet.ParquetValueType.Double)]))
        {
            writer.WriteRowGroup([Data.Parquet.ParquetColumnData.FromStrings(new string?[] { "a", "b" }), Data.Parquet.ParquetColumnData.FromDoubles(new[] { 0.0, 1.0 })]);
            writer.Complete();
        }

        // When
        var matrix = MatrixFile.Read(path);

        // Then
        Assert.Equal(["index"], matrix.ExampleIds);
        Assert.Equal(1f, matrix[1, 0]);
    }
}
