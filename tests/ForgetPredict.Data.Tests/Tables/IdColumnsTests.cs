using System.Text;
using ForgetPredict.Core;
using ForgetPredict.Data.Parquet;
using ForgetPredict.Data.Tables;
using ForgetPredict.Data.Tests.Formats;
using ForgetPredict.Data.Tests.Parquet;
using ForgetPredict.Testing;

namespace ForgetPredict.Data.Tests.Tables;

/// <summary>
/// The one rule for output id columns (<see cref="IdColumns"/>): integer-looking ids were written to Parquet and JSON as
/// strings while the same output as CSV reads as int64 in pandas, so merging a Parquet output with an int64 frame needed a
/// cast. Ids that are all canonical integers are now INT64 / JSON numbers; any other id keeps the column text.
/// </summary>
public sealed class IdColumnsTests : IDisposable
{
    private readonly string _folder = RepoPaths.NewTempFolder("fp-idcolumns");

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    [Theory]
    [InlineData("0", true)]
    [InlineData("17", true)]
    [InlineData("-3", true)]
    [InlineData("9223372036854775807", true)]
    [InlineData("-9223372036854775808", true)]
    [InlineData("007", false)]
    [InlineData("+1", false)]
    [InlineData("-0", false)]
    [InlineData("1.0", false)]
    [InlineData("a1", false)]
    [InlineData(" 1", false)]
    [InlineData("1e3", false)]
    [InlineData("9223372036854775808", false)]
    [InlineData("", false)]
    public void TryParseCanonical_AcceptsOnlyTheFormThatRoundTripsThroughAnInt64(string id, bool canonical)
    {
        Assert.Equal(canonical, IdColumns.TryParseCanonical(id, out var value));
        if (canonical)
        {
            Assert.Equal(id, value.ToString(System.Globalization.CultureInfo.InvariantCulture));
        }
    }

    [Fact]
    public void Column_IsInt64WhenEveryIdIsACanonicalInteger_ElseText()
    {
        var numbers = Assert.IsType<Int64Column>(IdColumns.Column("example", ["10", "-2", null, "3"]));
        Assert.Equal([10L, -2L, null, 3L], Enumerable.Range(0, numbers.Count).Select(r => numbers[r]));
        Assert.IsType<StringColumn>(IdColumns.Column("example", ["10", "007"]));
        Assert.IsType<StringColumn>(IdColumns.Column("example", ["10", "a1"]));
        Assert.IsType<StringColumn>(IdColumns.Column("group", [null, null]));
    }

    // CSV output is unchanged: the integers are written as the ids were.
    [Fact]
    public void Csv_OfAnIntegerIdColumn_WritesTheIdsAsTheyWere()
    {
        using var stream = new MemoryStream();
        CsvTableFormat.Csv.Write(new OutputTable(IdColumns.Column("example", ["10", "-2", "3"])), stream);
        Assert.Equal("example\n10\n-2\n3\n", Encoding.UTF8.GetString(stream.ToArray()));
    }

    [Fact]
    public void Json_WritesCanonicalIdsAsNumbers_AndOtherIdsAsStrings()
    {
        using var numbers = new MemoryStream();
        JsonTableFormat.Records.Write(new OutputTable(IdColumns.Column("example", ["10", "3"])), numbers);
        using var text = new MemoryStream();
        JsonTableFormat.Records.Write(new OutputTable(IdColumns.Column("example", ["10", "007"])), text);

        Assert.Equal("""[{"example":10},{"example":3}]""", Encoding.UTF8.GetString(numbers.ToArray()));
        Assert.Equal("""[{"example":"10"},{"example":"007"}]""", Encoding.UTF8.GetString(text.ToArray()));
    }

    [Fact]
    public void Parquet_WritesCanonicalIdsAsInt64_AndOurMetadataReaderReadsTheSameIdsBack()
    {
        var numbers = Path.Combine(_folder, "numbers.parquet");
        var text = Path.Combine(_folder, "text.parquet");
        TableFile.Write(new OutputTable(IdColumns.Column("example", ["10", "-2", "3"]), TableColumn.Doubles("predicted", [0.5, 0.25, 0.125])), numbers);
        TableFile.Write(new OutputTable(IdColumns.Column("example", ["10", "007", "a1"]), TableColumn.Doubles("predicted", [0.5, 0.25, 0.125])), text);

        using (var reader = ParquetReader.Open(numbers))
        {
            Assert.Equal(ParquetPhysicalType.Int64, reader.Columns[0].PhysicalType);
        }

        using (var reader = ParquetReader.Open(text))
        {
            Assert.Equal(ParquetPhysicalType.ByteArray, reader.Columns[0].PhysicalType);
        }

        Assert.Equal(["10", "-2", "3"], MetadataTable.Read(numbers, "example").Ids);
        Assert.Equal(["10", "007", "a1"], MetadataTable.Read(text, "example").Ids);
    }

    // The independent readers: DuckDB reads the column as BIGINT (a join with an integer column needs no cast), parquet-wasm
    // as 64-bit integers; a column with "007" stays VARCHAR.
    [Fact]
    public void Parquet_IntegerIdColumn_IsBigintInDuckDbAndParquetWasm_AndTextStaysVarchar()
    {
        var numbers = Path.Combine(_folder, "numbers.parquet");
        var text = Path.Combine(_folder, "text.parquet");
        TableFile.Write(new OutputTable(IdColumns.Column("example", ["10", "-2", "3"])), numbers);
        TableFile.Write(new OutputTable(IdColumns.Column("example", ["10", "007"])), text);

        var duck = ReferenceTable.Parse(ConformanceTools.DuckDb("read", numbers));
        Assert.Equal("BIGINT", duck.Types[0]);
        Assert.Equal(["10", "-2", "3"], duck.Columns[0].Select(v => v.ToString()));
        Assert.Equal("VARCHAR", ReferenceTable.Parse(ConformanceTools.DuckDb("read", text)).Types[0]);
        var wasm = ReferenceTable.Parse(ConformanceTools.ParquetWasm("read", numbers));
        Assert.Equal(["10", "-2", "3"], wasm.Columns[0].Select(v => v.ToString()));
    }

    // pandas reads the JSON output's ids as int64 and merges them with an int64 frame without a cast (Debian's pandas has no
    // Parquet engine; DuckDB and parquet-wasm check the Parquet output above).
    [Fact]
    public void Json_IntegerIds_MergeWithAnInt64FrameInPandas()
    {
        var path = Path.Combine(_folder, "predictions.json");
        TableFile.Write(new OutputTable(IdColumns.Column("example", ["10", "3"]), TableColumn.Doubles("predicted", [0.5, 0.25])), path);

        var output = ExternalTool.RunPython(
            """
            import json, sys
            import pandas as pd
            rows = json.load(open(sys.argv[1]))
            assert all(type(r["example"]) is int for r in rows), rows
            frame = pd.DataFrame(rows)
            other = pd.DataFrame({"example": pd.Series([3, 10], dtype="int64"), "loss": [1.0, 2.0]})
            merged = frame.merge(other, on="example")
            print(frame["example"].dtype, len(merged))
            """,
            path);

        Assert.Equal("int64 2", output.Trim());
    }

    // Matrices: a matrix without ids (.npy: 0..N-1) and one with whole-number ids write INT64 id columns in both Parquet
    // layouts and JSON numbers, and read back to the same ids, in the same order.
    [Theory]
    [InlineData("parquet", MatrixLayout.Wide)]
    [InlineData("parquet", MatrixLayout.Long)]
    [InlineData("json", MatrixLayout.Wide)]
    public void Matrix_WholeNumberIds_AreWrittenAsIntegers_AndReadBackToTheSameIds(string format, MatrixLayout layout)
    {
        var withIds = ForgettingMatrix.Wrap([1f, 2f, 3f, 4f, 5f, 6f], 2, 3, ["50", "-7"], ["12", "3", "40"]);
        var withoutIds = ForgettingMatrix.Wrap([1f, 2f, 3f, 4f, 5f, 6f], 2, 3);
        foreach (var matrix in new[] { withIds, withoutIds })
        {
            using var stream = new MemoryStream();
            MatrixFile.Write(matrix, stream, format, new MatrixWriteOptions { Layout = layout });
            var bytes = stream.ToArray();

            var back = MatrixFile.Read(new MemoryStream(bytes), "z." + format);

            Assert.Equal(matrix.TaskIds, back.TaskIds);
            Assert.Equal(matrix.ExampleIds, back.ExampleIds);
            FormatTestSupport.AssertSameValues(matrix.Values, back.Values);
            if (format == "parquet")
            {
                using var reader = ParquetReader.Open(new MemoryStream(bytes), "z.parquet");
                Assert.Equal(ParquetPhysicalType.Int64, reader.Columns[0].PhysicalType);
                Assert.Equal(layout == MatrixLayout.Long ? ParquetPhysicalType.Int64 : ParquetPhysicalType.Float, reader.Columns[1].PhysicalType);
            }
            else if (!matrix.TaskIds.IsImplicit)
            {
                Assert.StartsWith("""{"columns":[12,3,40],"index":[50,-7],""", Encoding.UTF8.GetString(bytes), StringComparison.Ordinal);
            }
        }
    }

    [Fact]
    public void Matrix_OneIdThatIsNotCanonical_KeepsTheAxisText()
    {
        var matrix = ForgettingMatrix.Wrap([1f, 2f, 3f, 4f], 2, 2, ["1", "007"], ["e", "2"]);
        using var stream = new MemoryStream();
        MatrixFile.Write(matrix, stream, "parquet", new MatrixWriteOptions { Layout = MatrixLayout.Long });

        using var reader = ParquetReader.Open(new MemoryStream(stream.ToArray()), "z.parquet");
        Assert.Equal(ParquetPhysicalType.ByteArray, reader.Columns[0].PhysicalType);
        Assert.Equal(ParquetPhysicalType.ByteArray, reader.Columns[1].PhysicalType);
        var back = MatrixFile.Read(new MemoryStream(stream.ToArray()), "z.parquet");
        Assert.Equal(["1", "007"], back.TaskIds);
        Assert.Equal(["e", "2"], back.ExampleIds);
    }
}
