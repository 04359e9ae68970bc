using System.Globalization;
using System.Text.Json;
using ForgetPredict.Data.Parquet;
using ForgetPredict.Testing;

namespace ForgetPredict.Data.Tests.Parquet;

/// <summary>Files written by DuckDB (an independent implementation) read back by us to the values DuckDB reads.</summary>
public sealed class DuckDbConformanceTests : IDisposable
{
    // Every supported physical type; nulls in the nullable columns; low-cardinality columns that DuckDB
    // dictionary-encodes next to unique ones it writes PLAIN; NaN and infinities in the floating-point columns.
    private const string AllTypes = """
        SELECT
          range::INTEGER AS id,
          (range % 7)::INTEGER AS small_int,
          CASE WHEN range % 5 = 0 THEN NULL ELSE range * 1000003 END::BIGINT AS big,
          CASE WHEN range % 11 = 3 THEN 'NaN'::FLOAT WHEN range % 13 = 4 THEN NULL ELSE (range / 7.0)::FLOAT END AS value_f,
          CASE WHEN range % 17 = 1 THEN 'Infinity'::DOUBLE WHEN range % 17 = 2 THEN '-Infinity'::DOUBLE WHEN range % 9 = 0 THEN NULL ELSE sin(range) * 1e6 END AS value_d,
          CASE WHEN range % 10 = 9 THEN NULL ELSE range % 3 = 0 END AS flag,
          'task_' || (range % 13) AS task,
          CASE WHEN range % 8 = 0 THEN NULL ELSE 'example-' || range || '-ü' END AS example,
          (range % 200 - 100)::TINYINT AS tiny,
          (range * 6 - 30000)::SMALLINT AS small,
          (range * 4000000000)::UBIGINT AS ubig,
          (range * 3)::UINTEGER AS uint
        FROM range(10000)
        """;

    private readonly string _folder = RepoPaths.NewTempFolder("fp-duckdb");

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    [Theory]
    [InlineData("uncompressed")]
    [InlineData("snappy")]
    [InlineData("gzip")]
    [InlineData("zstd")]
    [InlineData("lz4_raw")]
    [InlineData("brotli")]
    public void Read_DuckDbFileWithCodec_MatchesDuckDb(string codec)
    {
        // Given
        var path = Path.Combine(_folder, $"all-{codec}.parquet");
        var expected = ConformanceTools.DuckDbWrite(path, AllTypes, $"COMPRESSION {codec}, ROW_GROUP_SIZE 2048");

        // When / Then
        ConformanceTools.AssertReadsAs(path, expected);
        using var reader = ParquetReader.Open(path);
        Assert.True(reader.RowGroupCount > 1, "several row groups expected");
        var meta = ConformanceTools.DuckDbMetadata(path);
        Assert.Contains(meta, m => m.GetProperty("encodings").GetString()!.Contains("DICTIONARY", StringComparison.Ordinal));
        Assert.Contains(meta, m => m.GetProperty("encodings").GetString() == "PLAIN");
        Assert.All(meta, m => Assert.Equal(codec.ToUpperInvariant(), m.GetProperty("compression").GetString()));
    }

    [Fact]
    public void Read_DuckDbSchema_DescribesColumns()
    {
        var path = Path.Combine(_folder, "schema.parquet");
        ConformanceTools.DuckDbWrite(path, AllTypes, "COMPRESSION snappy");
        using var reader = ParquetReader.Open(path);
        var byName = reader.Columns.ToDictionary(c => c.Name);
        Assert.Equal(ParquetPhysicalType.Int32, byName["id"].PhysicalType);
        Assert.Equal(ParquetPhysicalType.Int64, byName["big"].PhysicalType);
        Assert.Equal(ParquetPhysicalType.Float, byName["value_f"].PhysicalType);
        Assert.Equal(ParquetPhysicalType.Double, byName["value_d"].PhysicalType);
        Assert.Equal(ParquetPhysicalType.Boolean, byName["flag"].PhysicalType);
        Assert.True(byName["task"].IsString);
        Assert.True(byName["ubig"].IsUnsigned);
        Assert.Equal("INT(8, signed)", byName["tiny"].LogicalType);
        Assert.Equal(6, reader.IndexOf("task"));
        Assert.Equal(-1, reader.IndexOf("Task"));
        Assert.StartsWith("DuckDB", reader.CreatedBy, StringComparison.Ordinal);
    }

    [Fact]
    public void Read_DuckDbParquetVersion2_MatchesDuckDb()
    {
        // DuckDB's PARQUET_VERSION V2 switches encodings (RLE_DICTIONARY, BYTE_STREAM_SPLIT for floats) but keeps
        // data page v1 headers (checked below), so data page v2 comes from parquet-wasm and our own writer instead.
        var path = Path.Combine(_folder, "v2.parquet");
        var expected = ConformanceTools.DuckDbWrite(path, """
            SELECT (range % 7)::INTEGER AS small_int,
                   CASE WHEN range % 13 = 4 THEN NULL ELSE (range / 7.0)::FLOAT END AS value_f,
                   CASE WHEN range % 9 = 0 THEN NULL ELSE sin(range) END AS value_d,
                   CASE WHEN range % 6 = 0 THEN NULL ELSE 'task_' || (range % 13) END AS task,
                   range % 3 = 0 AS flag
            FROM range(5000)
            """, "PARQUET_VERSION V2, COMPRESSION snappy, ROW_GROUP_SIZE 2048");
        ConformanceTools.AssertReadsAs(path, expected);
        var encodings = ConformanceTools.DuckDbMetadata(path).Select(m => m.GetProperty("encodings").GetString()).ToArray();
        Assert.Contains("BYTE_STREAM_SPLIT", encodings);
        Assert.DoesNotContain(3, ConformanceTools.DataPageTypes(path));
    }

    [Fact]
    public void Read_DuckDbDeltaEncodedColumns_MatchDuckDb()
    {
        // Given: DuckDB's PARQUET_VERSION V2 writes high-cardinality integers DELTA_BINARY_PACKED (sorted, jumping both
        // ways, with nulls, near the ends of the 64-bit range) and strings DELTA_LENGTH_BYTE_ARRAY.
        var path = Path.Combine(_folder, "delta.parquet");
        var expected = ConformanceTools.DuckDbWrite(path, """
            SELECT range::BIGINT AS id,
                   (range * 7919 % 100003 - 50000)::INTEGER AS jumpy,
                   CASE WHEN range % 5 = 0 THEN NULL ELSE range * 1000003 END::BIGINT AS big,
                   CASE WHEN range % 2 = 0 THEN 9223372036854775807 - range ELSE -9223372036854775807 + range END::BIGINT AS extreme,
                   'example-' || range || '-ü' AS example,
                   CASE WHEN range % 8 = 0 THEN NULL ELSE 'task_' || (range * 31 % 9973) END AS task
            FROM range(10000)
            """, "PARQUET_VERSION V2, ROW_GROUP_SIZE 4096");

        // When / Then
        ConformanceTools.AssertReadsAs(path, expected);
        var encodings = ConformanceTools.DuckDbMetadata(path).Select(m => m.GetProperty("encodings").GetString()).ToArray();
        Assert.Contains("DELTA_BINARY_PACKED", encodings);
        Assert.Contains("DELTA_LENGTH_BYTE_ARRAY", encodings);
    }

    [Theory]
    [InlineData(5, "snappy")]
    [InlineData(20, "zstd")]
    public void Read_DuckDbSmallDeltaPages_AreNotCalledCorrupt(int rows, string codec)
    {
        // DELTA_BINARY_PACKED pads its last miniblock to full size: a compressed page of 5 integers holds hundreds of bytes,
        // more than a page of 5 values was allowed before decompression (found by a QA pass: "the file is corrupt").
        var path = Path.Combine(_folder, "small-delta.parquet");
        var expected = ConformanceTools.DuckDbWrite(path, string.Create(CultureInfo.InvariantCulture, $"""
            SELECT 't' || range AS task, (range * 7919 % 1000)::INTEGER AS e1, (range * 104729 % 100000000)::BIGINT AS e2,
                   ((range * 37 % 1000) / 100.0 - 5)::DECIMAL(6,3) AS e3
            FROM range({rows})
            """), $"PARQUET_VERSION V2, COMPRESSION {codec}");

        ConformanceTools.AssertReadsAs(path, expected);
        var z = MatrixFile.Read(path);
        Assert.Equal((rows, 3), (z.TaskCount, z.ExampleCount));
        Assert.Contains("DELTA_BINARY_PACKED", ConformanceTools.DuckDbMetadata(path).Select(m => m.GetProperty("encodings").GetString()));
    }

    [Fact]
    public void Read_DuckDbLongMatrixWithDeltaIds_LoadsAsTheSameMatrix()
    {
        // A long-format forgetting table as DuckDB users write it with PARQUET_VERSION V2: integer ids, delta-encoded.
        var v1 = Path.Combine(_folder, "long-v1.parquet");
        var v2 = Path.Combine(_folder, "long-v2.parquet");
        const string Long = "SELECT (range // 300)::BIGINT AS task, (range % 300)::BIGINT AS example, (sin(range) * 0.5)::DOUBLE AS value FROM range(6000)";
        ConformanceTools.DuckDbWrite(v1, Long, "PARQUET_VERSION V1");
        ConformanceTools.DuckDbWrite(v2, Long, "PARQUET_VERSION V2");

        var a = MatrixFile.Read(v1);
        var b = MatrixFile.Read(v2);

        Assert.Equal((20, 300), (b.TaskCount, b.ExampleCount));
        Assert.Equal(a.TaskIds, b.TaskIds);
        Assert.Equal(a.ExampleIds, b.ExampleIds);
        Assert.Equal(a.Values.ToArray(), b.Values.ToArray());
    }

    [Fact]
    public void Read_DuckDbDecimalColumns_ReadAsTheirValues()
    {
        // Given: DuckDB stores DECIMAL(p <= 9) as INT32 and DECIMAL(p <= 18) as INT64, with the scale in the schema.
        var path = Path.Combine(_folder, "decimal.parquet");
        var expected = ConformanceTools.DuckDbWrite(path, """
            SELECT (range / 7.0)::DECIMAL(10, 4) AS d4, (range * 1.5 - 700)::DECIMAL(5, 1) AS d1,
                   CASE WHEN range % 3 = 0 THEN NULL ELSE (range / -3.0)::DECIMAL(18, 6) END AS d6, range::DECIMAL(5, 0) AS d0
            FROM range(3000)
            """, "ROW_GROUP_SIZE 1024");
        Assert.Equal(["DECIMAL(10,4)", "DECIMAL(5,1)", "DECIMAL(18,6)", "DECIMAL(5,0)"], expected.Types);

        // Then: text reads as DuckDB prints it ("0.1429"), numbers as that text's value, ReadInt64s only without a scale.
        ConformanceTools.AssertReadsAs(path, expected);
        using var reader = ParquetReader.Open(path);
        Assert.Equal([ParquetPhysicalType.Int64, ParquetPhysicalType.Int32, ParquetPhysicalType.Int64, ParquetPhysicalType.Int32], reader.Columns.Select(c => c.PhysicalType).ToArray());
        for (var c = 0; c < 4; c++)
        {
            var want = expected.Columns[c].Select(v => v.ValueKind == JsonValueKind.Null ? double.NaN : double.Parse(v.GetString()!, CultureInfo.InvariantCulture)).ToArray();
            Assert.Equal(want, ConformanceTools.ReadAll<double>(reader, c, reader.ReadDoubles));
            Assert.Equal(want.Select(v => (float)v).ToArray(), ConformanceTools.ReadAll<float>(reader, c, reader.ReadFloats));
        }

        Assert.Equal(Enumerable.Range(0, 3000).Select(i => (long)i).ToArray(), ConformanceTools.ReadAll<long>(reader, 3, reader.ReadInt64s));
        var e = Assert.Throws<ForgettingDataException>(() => reader.ReadInt64s(0, 0, new long[reader.GetRowGroupRowCount(0)]));
        Assert.Contains("column 'd4': the column holds DECIMAL(10, 4) values, which ReadInt64s cannot convert exactly", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Read_DuckDbDecimalLongMatrix_LoadsTheValuesNotTheScaledIntegers()
    {
        // Given: the same long table with DECIMAL(10, 4) values and with those values cast to DOUBLE by DuckDB.
        const string Long = "SELECT 't' || i AS task, 'e' || j AS example, ((i * j % 7) / 7.0)::DECIMAL(10, 4) AS value FROM range(10) t(i), range(30) s(j)";
        var decimals = Path.Combine(_folder, "long-decimal.parquet");
        var doubles = Path.Combine(_folder, "long-double.parquet");
        ConformanceTools.DuckDbWrite(decimals, Long, "");
        ConformanceTools.DuckDbWrite(doubles, $"SELECT task, example, value::DOUBLE AS value FROM ({Long})", "");

        // When
        var a = MatrixFile.Read(decimals);
        var b = MatrixFile.Read(doubles);

        // Then: 0.1429, not 1429; the metadata reader (--observed, --examples, features) sees the same text.
        Assert.Equal((10, 30), (a.TaskCount, a.ExampleCount));
        Assert.Equal(b.Values.ToArray(), a.Values.ToArray());
        Assert.InRange(a.Values.ToArray().Max(), 0.857f, 0.858f);
        Assert.Equal("0.1429", MetadataTable.Read(decimals).Column("value")[31]);
    }

    [Fact]
    public void Read_DuckDbNestedColumn_RefusesByName()
    {
        var path = Path.Combine(_folder, "nested.parquet");
        ConformanceTools.DuckDb("write", path, "SELECT 1 AS id, [1, 2, 3] AS x", "");
        var e = Assert.Throws<ForgettingDataException>(() => ParquetReader.Open(path));
        Assert.Contains("nested column 'x' (LIST) is not supported; flatten it", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Read_DuckDbStructColumn_RefusesByName()
    {
        var path = Path.Combine(_folder, "struct.parquet");
        ConformanceTools.DuckDb("write", path, "SELECT 1 AS id, {'a': 1, 'b': 'x'} AS s", "");
        var e = Assert.Throws<ForgettingDataException>(() => ParquetReader.Open(path));
        Assert.Contains("nested column 's' (STRUCT) is not supported", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ReadStrings_DictionaryColumn_SharesOneInstancePerEntry()
    {
        var path = Path.Combine(_folder, "dict.parquet");
        ConformanceTools.DuckDbWrite(path, "SELECT 'task_' || (range % 3) AS task FROM range(3000)", "COMPRESSION snappy");
        using var reader = ParquetReader.Open(path);
        var values = new string?[reader.GetRowGroupRowCount(0)];
        reader.ReadStrings(0, 0, values);
        Assert.Equal(3, values.Distinct(ReferenceEqualityComparer.Instance).Count());
    }

    [Fact]
    public void Read_DuckDbEmptyResult_HasColumnsAndNoRows()
    {
        var path = Path.Combine(_folder, "empty.parquet");
        ConformanceTools.DuckDbWrite(path, "SELECT range::INTEGER AS id, 'x' AS s FROM range(10) WHERE range < 0", "");
        using var reader = ParquetReader.Open(path);
        Assert.Equal(["id", "s"], reader.Columns.Select(c => c.Name).ToArray());
        Assert.Equal(0, reader.RowCount);
        for (var g = 0; g < reader.RowGroupCount; g++)
        {
            reader.ReadDoubles(0, g, Span<double>.Empty);
        }
    }

    [Fact]
    public void Read_DuckDbWideMatrix_MatchesDuckDb()
    {
        // Given: the wide layout, one FLOAT column per example, 85 task rows, NaN and nulls mixed in.
        var columns = string.Join(", ", Enumerable.Range(0, 1500).Select(e =>
            $"CASE WHEN (range + {e}) % 23 = 0 THEN NULL WHEN (range * {e}) % 31 = 7 THEN 'NaN'::FLOAT ELSE ((range * 7919 + {e} * 104729) % 1000 / 1000.0)::FLOAT END AS ex_{e:D4}"));
        var path = Path.Combine(_folder, "wide.parquet");

        // When
        var sql = Path.Combine(_folder, "wide.sql");
        File.WriteAllText(sql, $"SELECT 'task_' || range AS task, {columns} FROM range(85)");
        var expected = ConformanceTools.DuckDbWrite(path, "@" + sql, "COMPRESSION snappy");

        // Then
        ConformanceTools.AssertReadsAs(path, expected);
    }
}
