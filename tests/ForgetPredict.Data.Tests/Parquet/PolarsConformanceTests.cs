using System.Globalization;
using System.Text.Json;
using ForgetPredict.Core;
using ForgetPredict.Core.Features;
using ForgetPredict.Data.Parquet;
using ForgetPredict.Data.Tables;
using ForgetPredict.Testing;

namespace ForgetPredict.Data.Tests.Parquet;

/// <summary>
/// A polars user's files (nodejs-polars, the polars Rust engine: its own Parquet and CSV writers, not arrow-rs's or
/// DuckDB's) read by us to the values polars was given, and the files we write read back by polars.
/// </summary>
public sealed class PolarsConformanceTests : IDisposable
{
    private readonly string _folder = RepoPaths.NewTempFolder("fp-polars");

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    [Theory]
    [InlineData("uncompressed")]
    [InlineData("snappy")]
    [InlineData("gzip")]
    [InlineData("lz4")]
    [InlineData("zstd")]
    [InlineData("brotli")]
    public void Read_PolarsParquet_MatchesWrittenValues(string codec)
    {
        // Given: every column type, with nulls, NaN, infinities and 64-bit extremes, written by polars with the codec.
        var table = TestTable.Create(rows: 3000, seed: 11);
        var path = Path.Combine(_folder, $"polars-{codec}.parquet");
        WriteSpec(path, table.ColumnsJson, codec);

        // When, then: we read every value polars was given, from pages polars compressed with the codec (LZ4 as LZ4_RAW).
        table.AssertReads(path);
        var expected = codec == "lz4" ? "LZ4_RAW" : codec.ToUpperInvariant();
        Assert.All(ConformanceTools.DuckDbMetadata(path), m => Assert.Equal(expected, m.GetProperty("compression").GetString()));
    }

    [Fact]
    public void Read_PolarsCategoricalColumns_ReadAsTheirStrings()
    {
        // Given: pl.Categorical ids and groups, as a polars pipeline keeps them (dictionary-encoded strings), with a null.
        var path = Path.Combine(_folder, "categorical.parquet");
        var tasks = Enumerable.Range(0, 400).Select(i => i % 37 == 5 ? null : "task-" + (i % 9).ToString(CultureInfo.InvariantCulture)).ToArray();
        WriteSpec(path, $$"""[{"name": "task", "type": "categorical", "values": {{JsonSerializer.Serialize(tasks)}}}]""", "zstd");

        // When
        using var reader = ParquetReader.Open(path);
        var read = new string?[reader.RowCount];
        reader.ReadStrings(0, 0, read);

        // Then
        Assert.Equal(tasks, read);
    }

    [Theory]
    [InlineData(ParquetCodec.Zstd, ParquetDataPageVersion.V1, true)]
    [InlineData(ParquetCodec.Snappy, ParquetDataPageVersion.V2, false)]
    [InlineData(ParquetCodec.Gzip, ParquetDataPageVersion.V1, false)]
    [InlineData(ParquetCodec.Uncompressed, ParquetDataPageVersion.V2, true)]
    public void Write_OurParquet_PolarsReadsIdentically(ParquetCodec codec, ParquetDataPageVersion version, bool dictionary)
    {
        // Given: several row groups and pages, every type we write.
        var table = TestTable.Create(rows: 4000, seed: 20261207);
        var path = Path.Combine(_folder, $"ours-{codec}-{version}-{dictionary}.parquet");
        var options = new ParquetWriteOptions { Codec = codec, DataPageVersion = version, UseDictionaryForStrings = dictionary, RowGroupRowCount = 1500, DataPageSize = 4096 };

        // When
        using (var stream = File.Create(path))
        using (var writer = ParquetWriter.Create(stream, table.Specs, options))
        {
            writer.WriteRows(table.Data);
        }

        // Then: polars reads every value, and each column as its own type (ids as text, values as floats).
        var polars = ReferenceTable.Parse(ConformanceTools.Polars("read", path));
        table.AssertEqual(polars);
        Assert.Equal(["Utf8", "Utf8", "Float32", "Float64", "Int32", "Int64", "Bool"], polars.Types);
    }

    [Theory]
    [InlineData("long.parquet")]
    [InlineData("long.csv")]
    public void Read_PolarsLongMatrix_IsTheMatrixItHolds(string name)
    {
        // Given: a long table as a polars user writes it (string tasks, Int64 examples, Float32 values, a null cell and an
        // absent one), rows shuffled.
        var path = Path.Combine(_folder, name);
        var rows = new List<(string Task, long Example, float? Value)>();
        for (var t = 0; t < 5; t++)
        {
            for (var e = 0; e < 7; e++)
            {
                if ((t, e) != (4, 6))
                {
                    rows.Add(($"task-{t}", 1000 + e, (t, e) == (2, 3) ? null : (float)Math.Round((t * 0.37) - (e * 0.11), 3)));
                }
            }
        }

        var order = Enumerable.Range(0, rows.Count).OrderBy(i => (i * 17) % rows.Count).ToArray();
        var shuffled = order.Select(i => rows[i]).ToArray();
        WriteSpec(path, $$"""
            [{"name": "task", "type": "utf8", "values": {{JsonSerializer.Serialize(shuffled.Select(r => r.Task))}}},
             {"name": "example", "type": "int64", "values": {{JsonSerializer.Serialize(shuffled.Select(r => r.Example.ToString(CultureInfo.InvariantCulture)))}}},
             {"name": "value", "type": "float", "values": {{JsonSerializer.Serialize(shuffled.Select(r => r.Value))}}}]
            """, "zstd");

        // When
        var z = MatrixFile.Read(path);

        // Then: every cell where polars put it, the null cell and the absent one missing.
        Assert.Equal((5, 7), (z.TaskCount, z.ExampleCount));
        foreach (var (task, example, value) in rows)
        {
            var cell = z[z.TaskIds.IndexOf(task), z.ExampleIds.IndexOf(example.ToString(CultureInfo.InvariantCulture))];
            Assert.Equal(value ?? float.NaN, cell);
        }

        Assert.True(float.IsNaN(z[z.TaskIds.IndexOf("task-4"), z.ExampleIds.IndexOf("1006")]));
    }

    [Theory]
    [InlineData("m.parquet", MatrixLayout.Wide)]
    [InlineData("m.parquet", MatrixLayout.Long)]
    [InlineData("m.csv", MatrixLayout.Wide)]
    [InlineData("m.csv", MatrixLayout.Long)]
    public void Write_OurMatrix_PolarsReadsItsIdsAndValues(string name, MatrixLayout layout)
    {
        // Given: ids with a comma, a quote and a slash, and a missing cell.
        var values = Enumerable.Range(0, 12).Select(e => e == 5 ? float.NaN : (e * 0.1f) - 0.3f).ToArray();
        var matrix = ForgettingMatrix.Create(values, 3, 4, ["flan-1", "tulu,2", "dolly \"3\""], ["wiki/1", "code,2", "web 3", "4"]);
        var path = Path.Combine(_folder, name);

        // When
        MatrixFile.Write(matrix, path, new MatrixWriteOptions { Layout = layout });
        var polars = ReferenceTable.Parse(ConformanceTools.Polars("read", path));

        // Then: the same cells, ids as text, values as floats; a missing cell is null (or not written, in the long layout).
        var read = new Dictionary<(string, string), double>();
        if (layout == MatrixLayout.Long)
        {
            Assert.Equal(["task", "example", "value"], polars.Names);
            Assert.Equal("Utf8", polars.Types[0]);
            Assert.StartsWith("Float", polars.Types[2], StringComparison.Ordinal);
            for (var r = 0; r < polars.RowCount; r++)
            {
                read[(polars.Columns[0][r].GetString()!, Text(polars.Columns[1][r]))] = Number(polars.Columns[2][r]);
            }
        }
        else
        {
            Assert.Equal(["task", .. matrix.ExampleIds], polars.Names);
            Assert.All(polars.Types.Skip(1), t => Assert.StartsWith("Float", t, StringComparison.Ordinal));
            for (var r = 0; r < polars.RowCount; r++)
            {
                for (var j = 0; j < 4; j++)
                {
                    read[(polars.Columns[0][r].GetString()!, polars.Names[j + 1])] = Number(polars.Columns[j + 1][r]);
                }
            }
        }

        for (var i = 0; i < 3; i++)
        {
            for (var j = 0; j < 4; j++)
            {
                var expected = matrix[i, j];
                if (float.IsNaN(expected) && layout == MatrixLayout.Long)
                {
                    Assert.False(read.ContainsKey((matrix.TaskIds[i], matrix.ExampleIds[j])));
                }
                else
                {
                    Assert.Equal(expected, (float)read[(matrix.TaskIds[i], matrix.ExampleIds[j])]);
                }
            }
        }
    }

    [Theory]
    [InlineData("table.parquet")]
    [InlineData("table.csv")]
    public void Write_OutputTable_PolarsReadsEachColumnAsItsType(string name)
    {
        // Given: an output table as predict and replay write them: text, doubles with a missing one, integers, booleans.
        var path = Path.Combine(_folder, name);
        var table = new OutputTable(
            TableColumn.Strings("example", ["a", "b,c", null]),
            TableColumn.Doubles("predicted", [0.5, double.NaN, -1.25e-7]),
            TableColumn.Int64s("rank", [1, 2, null]),
            TableColumn.Booleans("revealed", [true, null, false]));

        // When
        TableFile.Write(table, path);
        var polars = ReferenceTable.Parse(ConformanceTools.Polars("read", path));

        // Then
        Assert.Equal(["example", "predicted", "rank", "revealed"], polars.Names);
        Assert.Equal(["Utf8", "Float64", "Int64", "Bool"], polars.Types);
        Assert.Equal(["a", "b,c"], polars.Columns[0].Take(2).Select(v => v.GetString()));
        Assert.Equal(0.5, Number(polars.Columns[1][0]));
        Assert.True(double.IsNaN(Number(polars.Columns[1][1])));
        Assert.Equal(-1.25e-7, Number(polars.Columns[1][2]));
        Assert.Equal(["1", "2"], polars.Columns[2].Take(2).Select(Text));
        Assert.Equal(JsonValueKind.Null, polars.Columns[2][2].ValueKind);
        Assert.Equal([JsonValueKind.True, JsonValueKind.Null, JsonValueKind.False], polars.Columns[3].Select(v => v.ValueKind));
    }

    [Theory]
    [InlineData("features.parquet")]
    [InlineData("features.csv")]
    public void Read_PolarsTaskFeatures_AlignById(string name)
    {
        // Given: task settings written by polars in another order than the matrix's tasks, the family pl.Categorical.
        var path = Path.Combine(_folder, name);
        WriteSpec(path, """
            [{"name": "task", "type": "utf8", "values": ["c", "a", "b"]},
             {"name": "family", "type": "categorical", "values": ["web", "code", "web"]},
             {"name": "lr", "type": "double", "values": [0.001, 0.0001, 0.0003]},
             {"name": "steps", "type": "int64", "values": ["600", "150", "300"]}]
            """, "snappy");

        // When
        var set = FeatureFile.Read(path, IdList.From(["a", "b", "c"]));

        // Then: the numbers in the matrix's order, the category one-hot.
        var numeric = set.Blocks.Single(b => b.Kind == FeatureKind.Numeric);
        Assert.Equal(["lr", "steps"], numeric.Columns);
        Assert.Equal([0.0001, 150, 0.0003, 300, 0.001, 600], numeric.Values.ToArray());
        var categories = set.Blocks.Single(b => b.Kind == FeatureKind.Categorical);
        Assert.Equal(["family=code", "family=web"], categories.Columns);
        Assert.Equal([1.0, 0, 0, 1, 0, 1], categories.Values.ToArray());
    }

    [Theory]
    [InlineData("wide.parquet")]
    [InlineData("wide.csv")]
    public void Read_PolarsWideMatrixWithRowIndex_TheIndexIsNoExample(string name)
    {
        // Given: df.with_row_index().write_parquet() (and write_csv()) of a wide matrix: 'index' (UInt32 0, 1, 2) first.
        var path = Path.Combine(_folder, name);
        WriteSpec(path, """
            [{"name": "task", "type": "utf8", "values": ["html-0", "css-1", "json-2"]},
             {"name": "e0", "type": "double", "values": [0.5, 0.25, null]},
             {"name": "e1", "type": "double", "values": [1.5, -0.75, 2.0]}]
            """, "zstd", rowIndex: true);

        // When
        var z = MatrixFile.Read(path);

        // Then: the tasks from 'task', two examples, the row numbers in none of them.
        Assert.Equal(["html-0", "css-1", "json-2"], z.TaskIds);
        Assert.Equal(["e0", "e1"], z.ExampleIds);
        Assert.Equal([0.5f, 1.5f, 0.25f, -0.75f, float.NaN, 2f], z.Values.ToArray());
    }

    [Fact]
    public void Read_PolarsExampleMetadataWithRowIndex_JoinsByTheIds()
    {
        // Given: a shuffled frame of example groups, then with_row_index(): the row numbers are not the example ids.
        var path = Path.Combine(_folder, "upstream.parquet");
        WriteSpec(path, """
            [{"name": "column", "type": "int64", "values": ["3", "0", "2", "1"]},
             {"name": "source", "type": "categorical", "values": ["perl", "python", "perl", "c"]}]
            """, "zstd", rowIndex: true);

        // When
        var table = MetadataTable.Read(path);
        var join = table.Join(IdList.Implicit(4), "example");

        // Then
        Assert.Equal("column", table.IdColumn);
        Assert.Equal(["source"], table.DataColumns);
        Assert.Equal(["python", "c", "perl", "perl"], join.Column("source"));
    }

    private void WriteSpec(string path, string columnsJson, string codec, bool rowIndex = false)
    {
        var spec = Path.Combine(_folder, "spec.json");
        File.WriteAllText(spec, $$$"""{"columns": {{{columnsJson}}}, "options": {"compression": "{{{codec}}}", "rowIndex": {{{(rowIndex ? "true" : "false")}}}}}""");
        ConformanceTools.Polars("write", path, spec);
    }

    private static string Text(JsonElement value) => value.ValueKind == JsonValueKind.String ? value.GetString()! : value.GetRawText();

    private static double Number(JsonElement value) => value.ValueKind switch
    {
        JsonValueKind.Null => double.NaN,
        JsonValueKind.String => double.Parse(value.GetString()!, CultureInfo.InvariantCulture),
        _ => value.GetDouble(),
    };
}
