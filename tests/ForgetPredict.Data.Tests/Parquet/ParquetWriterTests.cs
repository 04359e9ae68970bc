using ForgetPredict.Data.Parquet;

namespace ForgetPredict.Data.Tests.Parquet;

/// <summary>Writer behaviour that needs no reference tool: round trips through our reader, option validation, misuse.</summary>
public sealed class ParquetWriterTests
{
    public static TheoryData<int, int> Shapes() => new()
    {
        { 0, 10 },
        { 1, 10 },
        { 7, 3 },
        { 257, 64 },
        { 5000, 5000 },
        { 5001, 1000 },
    };

    [Theory]
    [MemberData(nameof(Shapes))]
    public void WriteRows_Shape_ReadsBackIdentically(int rows, int rowGroupRows)
    {
        // Given
        var table = TestTable.Create(rows, seed: rows);
        using var stream = new MemoryStream();

        // When
        using (var writer = ParquetWriter.Create(stream, table.Specs, new ParquetWriteOptions { RowGroupRowCount = rowGroupRows, DataPageSize = 512 }, leaveOpen: true))
        {
            writer.WriteRows(table.Data);
            Assert.Equal(rows, writer.RowCount);
        }

        // Then
        stream.Position = 0;
        using var reader = ParquetReader.Open(stream, "memory");
        Assert.Equal(rows, reader.RowCount);
        Assert.Equal((rows + rowGroupRows - 1) / rowGroupRows, reader.RowGroupCount);
        for (var c = 0; c < table.Specs.Length; c++)
        {
            Assert.Equal(table.Specs[c].IsNullable, reader.Columns[c].IsNullable);
            ConformanceTools.AssertColumn(reader, c, table.WasmTypes[c], table.Expected[c]);
        }
    }

    [Fact]
    public void WriteRows_NaNIsAValueNotANull()
    {
        using var stream = new MemoryStream();
        using (var writer = ParquetWriter.Create(stream, [new("v", ParquetValueType.Float, IsNullable: true)], leaveOpen: true))
        {
            writer.WriteRows([ParquetColumnData.FromFloats(new[] { float.NaN, 1f, 2f }, new[] { false, true, false })]);
        }

        stream.Position = 0;
        using var reader = ParquetReader.Open(stream, "memory");
        var present = new bool[3];
        reader.ReadPresence(0, 0, present);
        Assert.Equal([true, false, true], present);
        var values = new float[3];
        reader.ReadFloats(0, 0, values);
        Assert.True(float.IsNaN(values[0]) && float.IsNaN(values[1]));
        Assert.Equal(2f, values[2]);
    }

    [Fact]
    public void WriteRows_AllNullStringColumn_RoundTrips()
    {
        using var stream = new MemoryStream();
        using (var writer = ParquetWriter.Create(stream, [new("s", ParquetValueType.String, IsNullable: true)], leaveOpen: true))
        {
            writer.WriteRows([ParquetColumnData.FromStrings(new string?[] { null, null })]);
        }

        stream.Position = 0;
        using var reader = ParquetReader.Open(stream, "memory");
        var values = new string?[] { "x", "y" };
        reader.ReadStrings(0, 0, values);
        Assert.All(values, Assert.Null);
    }

    [Fact]
    public void Dispose_WithoutComplete_WritesFooter()
    {
        using var stream = new MemoryStream();
        using (var writer = ParquetWriter.Create(stream, [new("x", ParquetValueType.Int64)], leaveOpen: true))
        {
            writer.WriteRowGroup([ParquetColumnData.FromInt64s(new[] { 1L, long.MaxValue })]);
        }

        stream.Position = 0;
        using var reader = ParquetReader.Open(stream, "memory");
        var values = new long[2];
        reader.ReadInt64s(0, 0, values);
        Assert.Equal([1L, long.MaxValue], values);
    }

    [Fact]
    public void WriteRowGroup_IgnoresRowGroupLimit()
    {
        using var stream = new MemoryStream();
        using (var writer = ParquetWriter.Create(stream, [new("x", ParquetValueType.Int32)], new ParquetWriteOptions { RowGroupRowCount = 2 }, leaveOpen: true))
        {
            writer.WriteRowGroup([ParquetColumnData.FromInt32s(new[] { 1, 2, 3, 4, 5 })]);
        }

        stream.Position = 0;
        using var reader = ParquetReader.Open(stream, "memory");
        Assert.Equal(1, reader.RowGroupCount);
    }

    [Fact]
    public void WriteRows_NullInRequiredColumn_Throws()
    {
        using var writer = ParquetWriter.Create(new MemoryStream(), [new("s", ParquetValueType.String)]);
        var e = Assert.Throws<ArgumentException>(() => writer.WriteRows([ParquetColumnData.FromStrings(new string?[] { "a", null })]));
        Assert.Contains("Column 's' is required (not nullable) but row 1 is null", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void WriteRows_DataMismatchingSchema_Throws()
    {
        using var writer = ParquetWriter.Create(new MemoryStream(), [new("a", ParquetValueType.Double), new("b", ParquetValueType.Double)]);
        Assert.Throws<ArgumentException>(() => writer.WriteRows([ParquetColumnData.FromDoubles(new[] { 1.0 })]));
        Assert.Throws<ArgumentException>(() => writer.WriteRows([ParquetColumnData.FromDoubles(new[] { 1.0 }), ParquetColumnData.FromFloats(new[] { 1f })]));
        Assert.Throws<ArgumentException>(() => writer.WriteRows([ParquetColumnData.FromDoubles(new[] { 1.0 }), ParquetColumnData.FromDoubles(new[] { 1.0, 2.0 })]));
        Assert.Throws<ArgumentException>(() => ParquetColumnData.FromDoubles(new[] { 1.0 }, new[] { true, false }));
    }

    [Fact]
    public void Create_BadSchemaOrOptions_Throws()
    {
        Assert.Throws<ArgumentException>(() => ParquetWriter.Create(new MemoryStream(), []));
        Assert.Throws<ArgumentException>(() => ParquetWriter.Create(new MemoryStream(), [new("a", ParquetValueType.Int32), new("a", ParquetValueType.Int64)]));
        Assert.Throws<ArgumentException>(() => ParquetWriter.Create(new MemoryStream(), [new("", ParquetValueType.Int32)]));
        Assert.Throws<ArgumentOutOfRangeException>(() => ParquetWriter.Create(new MemoryStream(), [new("a", ParquetValueType.Int32)], new ParquetWriteOptions { RowGroupRowCount = 0 }));
        Assert.Throws<ArgumentOutOfRangeException>(() => ParquetWriter.Create(new MemoryStream(), [new("a", ParquetValueType.Int32)], new ParquetWriteOptions { DataPageSize = 10 }));
        Assert.Throws<ArgumentOutOfRangeException>(() => ParquetWriter.Create(new MemoryStream(), [new("a", ParquetValueType.Int32)], new ParquetWriteOptions { Codec = (ParquetCodec)6 }));
    }

    [Theory]
    [InlineData(0)]
    [InlineData(23)]
    public void Create_ZstdLevelOutOfRange_ThrowsNamingIt(int level)
    {
        var e = Assert.Throws<ArgumentOutOfRangeException>(() =>
            ParquetWriter.Create(new MemoryStream(), [new("a", ParquetValueType.Int32)], new ParquetWriteOptions { Codec = ParquetCodec.Zstd, ZstdLevel = level }));
        Assert.Equal(nameof(ParquetWriteOptions.ZstdLevel), e.ParamName);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(19)]
    public void Write_ZstdPages_ReadBackExactlyAndSmallerThanSnappy(int level)
    {
        // Given: a compressible long table
        var table = TestTable.Create(rows: 4000, seed: 3);
        byte[] Write(ParquetWriteOptions options)
        {
            using var stream = new MemoryStream();
            using (var writer = ParquetWriter.Create(stream, table.Specs, options, leaveOpen: true))
            {
                writer.WriteRows(table.Data);
            }

            return stream.ToArray();
        }

        // When
        var zstd = Write(new ParquetWriteOptions { Codec = ParquetCodec.Zstd, ZstdLevel = level });
        var snappy = Write(new ParquetWriteOptions { Codec = ParquetCodec.Snappy });

        // Then
        var path = Path.Combine(Path.GetTempPath(), $"fp-zstd-{Guid.NewGuid():N}.parquet");
        try
        {
            File.WriteAllBytes(path, zstd);
            table.AssertReads(path);
        }
        finally
        {
            File.Delete(path);
        }

        Assert.True(zstd.Length < snappy.Length, $"zstd level {level}: {zstd.Length} bytes, snappy {snappy.Length}");
    }

    [Fact]
    public void WriteRows_AfterComplete_Throws()
    {
        using var writer = ParquetWriter.Create(new MemoryStream(), [new("a", ParquetValueType.Boolean)]);
        writer.Complete();
        Assert.Throws<InvalidOperationException>(() => writer.WriteRows([ParquetColumnData.FromBooleans(new[] { true })]));
    }

    [Fact]
    public void Options_AreASealedRecordWithOneDefaultInstance()
    {
        Assert.True(typeof(ParquetWriteOptions).IsSealed);
        Assert.Equal(new ParquetWriteOptions(), ParquetWriteOptions.Default);
        Assert.Equal(ParquetCodec.Snappy, ParquetWriteOptions.Default.Codec);
    }

    [Fact]
    public void ReadStrings_PlainRepeatedIds_ShareInstances_AndUniqueValuesStayExact()
    {
        // Given: PLAIN (no dictionary) ids that repeat, and 20,000 unique values (the reader stops pooling those).
        var ids = Enumerable.Range(0, 30_000).Select(i => "ex_" + (i % 100).ToString(System.Globalization.CultureInfo.InvariantCulture)).ToArray<string?>();
        var unique = Enumerable.Range(0, 30_000).Select(i => $"value {i} ✓").ToArray<string?>();
        using var stream = new MemoryStream();
        using (var writer = ParquetWriter.Create(stream, [new("id", ParquetValueType.String), new("text", ParquetValueType.String)], new ParquetWriteOptions { UseDictionaryForStrings = false, DataPageSize = 4096 }, leaveOpen: true))
        {
            writer.WriteRows([ParquetColumnData.FromStrings(ids), ParquetColumnData.FromStrings(unique)]);
        }

        // When
        stream.Position = 0;
        using var reader = ParquetReader.Open(stream, "memory");
        var readIds = new string?[30_000];
        var readText = new string?[30_000];
        reader.ReadStrings(0, 0, readIds);
        reader.ReadStrings(1, 0, readText);

        // Then
        Assert.Equal(ids, readIds);
        Assert.Equal(unique, readText);
        Assert.Equal(100, readIds.Distinct(ReferenceEqualityComparer.Instance).Count());
    }

    [Fact]
    public void ReadMethods_EveryPhysicalType_ConvertAsDocumented()
    {
        // Given: one row of each type, then a null row.
        using var stream = new MemoryStream();
        ParquetColumnSpec[] specs =
        [
            new("d", ParquetValueType.Double, true), new("f", ParquetValueType.Float, true), new("i", ParquetValueType.Int32, true),
            new("l", ParquetValueType.Int64, true), new("b", ParquetValueType.Boolean, true), new("s", ParquetValueType.String, true),
        ];
        bool[] nulls = [false, true];
        using (var writer = ParquetWriter.Create(stream, specs, leaveOpen: true))
        {
            writer.WriteRows([
                ParquetColumnData.FromDoubles(new[] { 0.1, 0 }, nulls), ParquetColumnData.FromFloats(new[] { 0.1f, 0 }, nulls),
                ParquetColumnData.FromInt32s(new[] { -7, 0 }, nulls), ParquetColumnData.FromInt64s(new[] { (1L << 53) + 1, 0 }, nulls),
                ParquetColumnData.FromBooleans(new[] { true, false }, nulls), ParquetColumnData.FromStrings(new[] { "x", null }),
            ]);
        }

        stream.Position = 0;
        using var reader = ParquetReader.Open(stream, "memory");
        double[] ReadDoubles(int c) { var v = new double[2]; reader.ReadDoubles(c, 0, v); return v; }
        float[] ReadFloats(int c) { var v = new float[2]; reader.ReadFloats(c, 0, v); return v; }
        string?[] ReadStrings(int c) { var v = new string?[2]; reader.ReadStrings(c, 0, v); return v; }

        // Then: doubles
        Assert.Equal(0.1, ReadDoubles(0)[0]);
        Assert.Equal((double)0.1f, ReadDoubles(1)[0]);
        Assert.Equal(-7.0, ReadDoubles(2)[0]);
        Assert.Equal(9007199254740992.0, ReadDoubles(3)[0]);
        Assert.Equal(1.0, ReadDoubles(4)[0]);
        Assert.All(Enumerable.Range(0, 5), c => Assert.True(double.IsNaN(ReadDoubles(c)[1])));

        // floats
        Assert.Equal(0.1f, ReadFloats(0)[0]);
        Assert.Equal(0.1f, ReadFloats(1)[0]);
        Assert.Equal(-7f, ReadFloats(2)[0]);
        Assert.Equal(1f, ReadFloats(4)[0]);
        Assert.All(Enumerable.Range(0, 5), c => Assert.True(float.IsNaN(ReadFloats(c)[1])));

        // strings: invariant, round-trip formatting
        Assert.Equal(new string?[] { "0.1", null }, ReadStrings(0));
        Assert.Equal(new string?[] { "0.1", null }, ReadStrings(1));
        Assert.Equal(new string?[] { "-7", null }, ReadStrings(2));
        Assert.Equal(new string?[] { "9007199254740993", null }, ReadStrings(3));
        Assert.Equal(new string?[] { "true", null }, ReadStrings(4));
        Assert.Equal(new string?[] { "x", null }, ReadStrings(5));
    }
}
