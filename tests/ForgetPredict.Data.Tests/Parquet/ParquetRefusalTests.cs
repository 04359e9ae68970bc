using System.Buffers.Binary;
using ForgetPredict.Core;
using ForgetPredict.Data.Formats;
using ForgetPredict.Data.Parquet;
using static ForgetPredict.Data.Tests.Parquet.ParquetFileBuilder;

namespace ForgetPredict.Data.Tests.Parquet;

/// <summary>Every refusal path: malformed files and unsupported features fail with a message that names the problem.</summary>
public sealed class ParquetRefusalTests
{
    [Fact]
    public void Builder_ValidFile_Reads()
    {
        using var reader = Open(ValidInt32File());
        var values = new double[3];
        reader.ReadDoubles(0, 0, values);
        Assert.Equal([1.0, 2.0, 3.0], values);
    }

    [Fact]
    public void Open_BadMagic_Refuses()
    {
        var bytes = ValidInt32File();
        bytes[0] = (byte)'X';
        AssertRefused(() => Open(bytes), "does not start and end with the Parquet magic 'PAR1'");
        AssertRefused(() => Open("not a parquet file at all, just text"u8.ToArray()), "does not start and end with the Parquet magic 'PAR1'");
    }

    [Fact]
    public void Open_TooShort_Refuses() => AssertRefused(() => Open("PAR1PAR1"u8.ToArray()), "too short to be Parquet");

    [Fact]
    public void Open_TruncatedFile_Refuses()
    {
        var bytes = ValidInt32File();
        AssertRefused(() => Open(bytes[..^3]), "does not start and end with the Parquet magic");
    }

    [Fact]
    public void Open_TruncatedFooter_Refuses()
    {
        // Given: the footer cut to half its length, with the length field and magic rewritten to match.
        var bytes = ValidInt32File();
        var footerLength = BinaryPrimitives.ReadInt32LittleEndian(bytes.AsSpan(bytes.Length - 8));
        var footerStart = bytes.Length - 8 - footerLength;
        var half = footerLength / 2;
        var truncated = new byte[footerStart + half + 8];
        bytes.AsSpan(0, footerStart + half).CopyTo(truncated);
        BinaryPrimitives.WriteInt32LittleEndian(truncated.AsSpan(truncated.Length - 8), half);
        "PAR1"u8.CopyTo(truncated.AsSpan(truncated.Length - 4));

        // Then
        var e = AssertRefused(() => Open(truncated), "the footer (FileMetaData) is malformed");
        Assert.Equal("footer", e.Location);
    }

    [Fact]
    public void Open_FooterLengthBeyondFile_Refuses()
    {
        var bytes = ValidInt32File();
        BinaryPrimitives.WriteInt32LittleEndian(bytes.AsSpan(bytes.Length - 8), int.MaxValue);
        AssertRefused(() => Open(bytes), "the footer length 2147483647 does not fit in the file");
    }

    [Fact]
    public void Open_EncryptedFooterMagic_Refuses()
    {
        var bytes = ValidInt32File();
        "PARE"u8.CopyTo(bytes.AsSpan(bytes.Length - 4));
        AssertRefused(() => Open(bytes), "encrypted Parquet file (magic 'PARE'), which is not supported");
    }

    // QA: a LIST (an embedding stored as FLOAT[]) was told to use unnest(x), which makes rows of it (each id repeated), or
    // x.*, which works for a STRUCT only.
    [Theory]
    [InlineData(3, "LIST", "flatten it into one column per element (DuckDB: SELECT id, x[1] AS e1, x[2] AS e2, ...; pandas: pd.DataFrame(df['x'].tolist(), index=df.index)), or save an embedding as .npy before export")]
    [InlineData(1, "MAP", "flatten it into one column per key (DuckDB: x['key'] AS key, ...) before export")]
    [InlineData(null, "STRUCT", "flatten it into its fields as columns (DuckDB: SELECT x.*) before export")]
    public void Open_NestedGroup_RefusesByName(int? converted, string kind, string fix)
    {
        var schema = new Element[] { new("id", 1), new("x", null, 1, converted, NumChildren: 1), new("element", 1) };
        var e = AssertRefused(() => Open(Build(schema, [], 0, rootChildren: 2)), $"nested column 'x' ({kind}) is not supported; {fix}");
        Assert.DoesNotContain("unnest", e.Message, StringComparison.Ordinal);
        Assert.Equal("x", e.Column);
    }

    [Fact]
    public void Open_RepeatedLeaf_RefusesByName()
    {
        AssertRefused(() => Open(Build([new Element("tags", 6, Repetition: 2)], [], 0)), "repeated column 'tags' is not supported");
    }

    [Fact]
    public void Read_Int96Column_RefusesByName()
    {
        using var reader = Open(Build([new Element("ts", 3)], [new Chunk(DataPageV1(1, 0, new byte[12]))], 1));
        Assert.Equal(ParquetPhysicalType.Int96, reader.Columns[0].PhysicalType);
        AssertRefused(() => reader.ReadStrings(0, 0, new string?[1]), "physical type INT96 (legacy Spark/Impala timestamp) is not supported");
    }

    [Fact]
    public void Read_FixedLenByteArrayColumn_RefusesByName()
    {
        using var reader = Open(Build([new Element("d", 7)], [new Chunk(DataPageV1(1, 0, new byte[16]))], 1));
        AssertRefused(() => reader.ReadDoubles(0, 0, new double[1]), "physical type FIXED_LEN_BYTE_ARRAY is not supported; cast the column before export: to DOUBLE if it holds numbers (DuckDB: d::DOUBLE; polars: pl.col('d').cast(pl.Float64)), to VARCHAR if it holds ids or labels (d::VARCHAR; polars: .cast(pl.String)).");
        using var decimals = Open(Build([new Element("d", 7, Converted: 5)], [new Chunk(DataPageV1(1, 0, new byte[16]))], 1));
        AssertRefused(() => decimals.ReadDoubles(0, 0, new double[1]), "DECIMAL(0, 0) values stored as FIXED_LEN_BYTE_ARRAY (a decimal of more than 18 digits");
    }

    [Fact]
    public void Read_LegacyDecimalInt32Column_AppliesTheScale()
    {
        // Given: INT32 with only the legacy converted type DECIMAL (5), precision 6, scale 2: stored 1234, -5, 0, 7.
        using var reader = Open(Build([new Element("d", 1, Converted: 5, Scale: 2, Precision: 6)], [new Chunk(DataPageV1(4, 0, Int32s(1234, -5, 0, 7)))], 4));

        // Then: every numeric and text read gives the decimal values, and ReadInt64s refuses the fractions.
        Assert.Equal("DECIMAL(6, 2)", reader.Columns[0].LogicalType);
        var doubles = new double[4];
        reader.ReadDoubles(0, 0, doubles);
        Assert.Equal([12.34, -0.05, 0.0, 0.07], doubles);
        var floats = new float[4];
        reader.ReadFloats(0, 0, floats);
        Assert.Equal([12.34f, -0.05f, 0f, 0.07f], floats);
        var text = new string?[4];
        reader.ReadStrings(0, 0, text);
        Assert.Equal("12.34|-0.05|0.00|0.07", string.Join('|', text));
        AssertRefused(() => reader.ReadInt64s(0, 0, new long[4]), "column 'd': the column holds DECIMAL(6, 2) values, which ReadInt64s cannot convert exactly");
    }

    [Fact]
    public void Read_DecimalScaleZero_ReadsAsIntegers()
    {
        using var reader = Open(Build([new Element("d", 2, Converted: 5, Scale: 0, Precision: 12)], [new Chunk(DataPageV1(2, 0, [.. Int32s(9, 0), .. Int32s(-3, -1)]))], 2));
        var values = new long[2];
        reader.ReadInt64s(0, 0, values);
        Assert.Equal([9L, -3L], values);
        var text = new string?[2];
        reader.ReadStrings(0, 0, text);
        Assert.Equal("9|-3", string.Join('|', text));
    }

    [Fact]
    public void Open_DecimalScaleOutOfRange_Refuses()
    {
        var e = AssertRefused(() => Open(Build([new Element("d", 2, Converted: 5, Scale: 40, Precision: 18)], [new Chunk(DataPageV1(1, 0, new byte[8]))], 1)), "is DECIMAL(18, 40), whose scale is not 0..38");
        Assert.Equal("schema", e.Location);
    }

    // QA: DuckDB's sum of DECIMAL(18, 4) values is a DECIMAL(38, 4), stored as FIXED_LEN_BYTE_ARRAY; the refusal suggested
    // casting to BIGINT (which truncates 0.12 to 0) or VARCHAR (refused as a value column).
    [Fact]
    public void Read_DuckDbWideDecimal_IsRefusedWithTheCastToDouble()
    {
        var path = Path.Combine(ForgetPredict.Testing.RepoPaths.NewTempFolder(), "decimal38.parquet");
        ConformanceTools.DuckDbWrite(path, "SELECT 'a' AS task, 'x' AS example, sum(v) AS value FROM (SELECT 0.1234::DECIMAL(18, 4) AS v) t", "");

        var e = Assert.Throws<ForgettingDataException>(() => MatrixFile.Read(path));

        Assert.Contains("DECIMAL(38, 4) values stored as FIXED_LEN_BYTE_ARRAY", e.Message, StringComparison.Ordinal);
        Assert.Contains("(DuckDB: value::DOUBLE; pandas: df['value'].astype(float); polars: pl.col('value').cast(pl.Float64))", e.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("BIGINT", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Read_ByteArrayDecimalColumn_RefusesByName()
    {
        using var reader = Open(Build([new Element("d", 6, Converted: 5, Scale: 2, Precision: 20)], [new Chunk(DataPageV1(1, 0, [1, 0, 0, 0, 5]))], 1));
        AssertRefused(() => reader.ReadStrings(0, 0, new string?[1]), "DECIMAL(20, 2) values stored as BYTE_ARRAY (a decimal of more than 18 digits, as DuckDB's sums and products of decimals are), which is not supported; cast it to a floating-point number before export (DuckDB: d::DOUBLE; pandas: df['d'].astype(float); polars: pl.col('d').cast(pl.Float64)).");
        AssertRefused(() => reader.ReadDoubles(0, 0, new double[1]), "DECIMAL(20, 2) values stored as BYTE_ARRAY");
    }

    [Theory]
    [InlineData(3, "LZO")]
    [InlineData(5, "LZ4")]
    [InlineData(8, "#8")]
    public void Read_UnsupportedCodec_RefusesByName(int codec, string name)
    {
        using var reader = Open(Build([new Element("x", 1)], [new Chunk(DataPageV1(3, 0, Int32s(1, 2, 3)), Codec: codec)], 3));
        var e = AssertRefused(() => reader.ReadDoubles(0, 0, new double[3]), $"codec {name} is not supported; re-export with snappy, gzip, zstd, lz4_raw, brotli or uncompressed");
        Assert.Equal("x", e.Column);
        Assert.Equal("row group 0", e.Location);
    }

    [Theory]
    [InlineData(6, "DELTA_LENGTH_BYTE_ARRAY")]
    [InlineData(7, "DELTA_BYTE_ARRAY")]
    [InlineData(4, "BIT_PACKED")]
    public void Read_UnsupportedEncoding_RefusesByName(int encoding, string name)
    {
        // The byte-array delta encodings are refused for INT32 values (they apply to BYTE_ARRAY only).
        using var reader = Open(Build([new Element("x", 1)], [new Chunk(DataPageV1(3, encoding, Int32s(1, 2, 3)))], 3));
        var e = AssertRefused(() => reader.ReadDoubles(0, 0, new double[3]), $"encoding {name} is not supported for INT32 values");
        Assert.Equal("row group 0, page 0", e.Location);
    }

    [Fact]
    public void Read_MalformedDeltaPage_IsCorruptNamingThePage()
    {
        // PLAIN bytes labelled DELTA_BINARY_PACKED: block size 1 is not a multiple of 128.
        using var reader = Open(Build([new Element("x", 1)], [new Chunk(DataPageV1(3, 5, Int32s(1, 2, 3)))], 3));
        var e = AssertRefused(() => reader.ReadDoubles(0, 0, new double[3]), "DELTA_BINARY_PACKED header has block size 1");
        Assert.Equal("row group 0, page 0", e.Location);
    }

    [Fact]
    public void Read_BitPackedDefinitionLevels_RefusesByName()
    {
        using var reader = Open(Build([new Element("x", 1, Repetition: 1)], [new Chunk(DataPageV1(3, 0, Int32s(1, 2, 3), definitionLevelEncoding: 4))], 3));
        AssertRefused(() => reader.ReadDoubles(0, 0, new double[3]), "definition level encoding BIT_PACKED is not supported");
    }

    [Fact]
    public void Read_PageLargerThanFile_RefusesBeforeAllocating()
    {
        // Given: a ~150-byte SNAPPY file whose page header claims 2 GB uncompressed.
        var bytes = Build([new Element("x", 6, Converted: 0)], [new Chunk(DataPageV1(3, 0, [0x0A, 0x08, 1, 2, 3], uncompressedSize: int.MaxValue), Codec: 1)], 3);
        using var reader = Open(bytes);
        var before = GC.GetAllocatedBytesForCurrentThread();

        // When / Then
        AssertRefused(() => reader.ReadStrings(0, 0, new string?[3]), "the page claims 2147483647 uncompressed bytes, more than its 5 SNAPPY bytes");
        Assert.True(GC.GetAllocatedBytesForCurrentThread() - before < 1 << 20, "no large allocation");
    }

    [Fact]
    public void Read_PageCompressedSizeBeyondChunk_Refuses() =>
        AssertRefused(() => Open(Build([new Element("x", 1)], [new Chunk(DataPageV1(3, 0, Int32s(1, 2, 3), compressedSize: 1 << 30))], 3)), "the page claims 1073741824 compressed bytes but only 12 remain in the column chunk");

    [Fact]
    public void Read_ColumnChunkBeyondFile_Refuses() =>
        AssertRefused(() => Open(Build([new Element("x", 1)], [new Chunk(DataPageV1(3, 0, Int32s(1, 2, 3)), DataPageOffsetDelta: 1_000_000_000)], 3)), "the column chunk claims bytes 1000000004..");

    [Fact]
    public void Read_PageWithFewerValuesThanClaimed_Refuses()
    {
        using var reader = Open(Build([new Element("x", 1)], [new Chunk(DataPageV1(3, 0, Int32s(1, 2)))], 3));
        AssertRefused(() => reader.ReadDoubles(0, 0, new double[3]), "the page holds fewer than the 3 values its header claims");
    }

    [Fact]
    public void Read_ChunkEndsEarly_Refuses() =>
        AssertRefused(() => Open(Build([new Element("x", 1)], [new Chunk(DataPageV1(2, 0, Int32s(1, 2)))], 3)), "row group 0 claims 3 rows but its pages hold 2 values");

    [Fact]
    public void Read_DictionaryIndexOutOfRange_Refuses()
    {
        // Dictionary of 2 entries; indices (bit width 2, RLE run of 3 x value 3).
        var pages = DictionaryPage(2, Int32s(10, 20)).Concat(DataPageV1(3, 8, [0x02, 0x06, 0x03])).ToArray();
        using var reader = Open(Build([new Element("x", 1)], [new Chunk(pages, HasDictionary: true)], 3));
        AssertRefused(() => reader.ReadDoubles(0, 0, new double[3]), "dictionary index 3 is outside the dictionary's 2 entries");
    }

    [Fact]
    public void Read_DictionaryEncodedPageWithoutDictionary_Refuses()
    {
        using var reader = Open(Build([new Element("x", 1)], [new Chunk(DataPageV1(3, 8, [0x02, 0x06, 0x01]))], 3));
        AssertRefused(() => reader.ReadDoubles(0, 0, new double[3]), "the column chunk has no dictionary page");
    }

    [Fact]
    public void Read_ChunkTypeDisagreesWithSchema_Refuses()
    {
        using var reader = Open(Build([new Element("x", 1)], [new Chunk(DataPageV1(3, 0, Int32s(1, 2, 3)), Type: 2)], 3));
        AssertRefused(() => reader.ReadDoubles(0, 0, new double[3]), "the column chunk stores INT64 but the schema says INT32");
    }

    [Fact]
    public void Read_StringColumnAsDoubles_RefusesWithAdvice()
    {
        using var reader = Open(Build([new Element("name", 6, Converted: 0)], [new Chunk(DataPageV1(1, 0, [1, 0, 0, 0, 0x61]))], 1));
        var e = AssertRefused(() => reader.ReadDoubles(0, 0, new double[1]), "column 'name': the column holds text, not numbers; cast it to a number before export (DuckDB: name::DOUBLE; pandas: pd.to_numeric(df['name']); polars: pl.col('name').cast(pl.Float64)) or drop the column.");
        Assert.DoesNotContain("Read", e.Message, StringComparison.Ordinal);
        var text = new string?[1];
        reader.ReadStrings(0, 0, text);
        Assert.Equal("a", text[0]);
    }

    [Theory]
    [InlineData(1, 6, "DATE")]               // DuckDB's DATE: days since 1970-01-01
    [InlineData(1, 7, "TIME(MILLIS)")]
    [InlineData(2, 8, "TIME(MICROS)")]
    [InlineData(2, 9, "TIMESTAMP(MILLIS)")]
    [InlineData(2, 10, "TIMESTAMP(MICROS)")]
    [InlineData(7, 21, "INTERVAL")]
    public void Read_DateOrTimeColumn_IsRefusedByEveryValueRead_NamingTheColumnAndTheCast(int type, int converted, string logical)
    {
        // Given: a column of dates or times, whose stored integers are counts of days or ticks (were read as numbers).
        var payload = type == 7 ? new byte[12] : type == 1 ? Int32s(19723) : [.. Int32s(19723), .. Int32s(0)];
        using var reader = Open(Build([new Element("when", type, Converted: converted)], [new Chunk(DataPageV1(1, 0, payload))], 1));

        // Then: numbers, floats, integers and text alike are refused with the fix; presence still reads (INTERVAL's
        // FIXED_LEN_BYTE_ARRAY is refused even there).
        const string Fix = "cast it before export (DuckDB: epoch(when) for seconds, or when::VARCHAR for a label; pandas: df['when'].astype('int64') or .astype(str); polars: pl.col('when').dt.epoch('s') or .cast(pl.String)) or drop the column.";
        var e = AssertRefused(() => reader.ReadDoubles(0, 0, new double[1]), $"column 'when': the column holds {logical} values (dates or times");
        Assert.Contains(Fix, e.Message, StringComparison.Ordinal);
        Assert.Equal("when", e.Column);
        AssertRefused(() => reader.ReadFloats(0, 0, new float[1]), Fix);
        AssertRefused(() => reader.ReadInt64s(0, 0, new long[1]), Fix);
        AssertRefused(() => reader.ReadStrings(0, 0, new string?[1]), Fix);
        if (type != 7)
        {
            var present = new bool[1];
            reader.ReadPresence(0, 0, present);
            Assert.True(present[0]);
        }
    }

    [Fact]
    public void ReadInt64s_FloatingPointColumn_RefusesWithAdvice()
    {
        using var reader = Open(Build([new Element("v", 5)], [new Chunk(DataPageV1(1, 0, new byte[8]))], 1));
        AssertRefused(() => reader.ReadInt64s(0, 0, new long[1]), "which ReadInt64s cannot convert exactly; read it with ReadDoubles or ReadFloats");
    }

    [Fact]
    public void ReadInt64s_ColumnWithNulls_RefusesWithAdvice()
    {
        // Optional INT32 with definition levels 1,0,1 (bit-packed: header 0x03, bits 0b101) and values 7, 9.
        var payload = new byte[] { 2, 0, 0, 0, 0x03, 0x05 }.Concat(Int32s(7, 9)).ToArray();
        using var reader = Open(Build([new Element("x", 1, Repetition: 1)], [new Chunk(DataPageV1(3, 0, payload))], 3));
        AssertRefused(() => reader.ReadInt64s(0, 0, new long[3]), "the column holds nulls, which ReadInt64s cannot represent");
        var values = new double[3];
        reader.ReadDoubles(0, 0, values);
        Assert.Equal(7, values[0]);
        Assert.True(double.IsNaN(values[1]));
        Assert.Equal(9, values[2]);
    }

    [Fact]
    public void Read_DestinationTooShort_ThrowsArgumentException()
    {
        using var reader = Open(ValidInt32File());
        Assert.Throws<ArgumentException>(() => reader.ReadDoubles(0, 0, new double[2]));
        Assert.Throws<ArgumentOutOfRangeException>(() => reader.ReadDoubles(1, 0, new double[3]));
        Assert.Throws<ArgumentOutOfRangeException>(() => reader.ReadDoubles(0, 1, new double[3]));
    }

    [Fact]
    public void Open_NonSeekableStream_ThrowsArgumentException()
    {
        using var pipe = new NonSeekableStream();
        Assert.Throws<ArgumentException>(() => ParquetReader.Open(pipe, "pipe"));
    }

    [Fact]
    public void Open_MissingFileOrDirectory_RefusesNamingTheFile()
    {
        // Given: a path that does not exist, and a directory whose name ends in .parquet.
        var missing = Path.Combine(Path.GetTempPath(), $"fp-missing-{Guid.NewGuid():N}.parquet");
        var directory = Directory.CreateTempSubdirectory("fp-dir-").FullName;
        var named = Path.Combine(directory, "d.parquet");
        Directory.CreateDirectory(named);
        try
        {
            // Then: every reader of Parquet paths says the file cannot be opened, as the other formats do, and that a folder
            // is a folder (opening one said "Access to the path is denied").
            foreach (var (path, expected) in new[] { (missing, "cannot open the file: "), (named, "is a folder, not a file; name a file in it.") })
            {
                AssertCannotOpen(path, () => ParquetReader.Open(path), expected);
                AssertCannotOpen(path, () => MatrixFile.Read(path), expected);
                AssertCannotOpen(path, () => MetadataTable.Read(path), expected);
                AssertCannotOpen(path, () => ObservedCells.Read(path, IdList.Implicit(3), new ExampleMatching(false, "pass --by-index")), expected);
                AssertCannotOpen(path, () => FeatureFile.Read(path, IdList.Implicit(3)), expected);
                var npy = Path.ChangeExtension(path, ".npy");
                if (path == named)
                {
                    Directory.CreateDirectory(npy);
                }

                AssertCannotOpen(npy, () => MatrixFile.Read(npy), expected);
                AssertCannotOpen(npy, () => FeatureFile.Read(npy, IdList.Implicit(3)), expected);
            }
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }

    private static void AssertCannotOpen(string path, Func<object?> action, string expected)
    {
        var e = Assert.Throws<ForgettingDataException>(action);
        Assert.StartsWith($"{path}: {expected}", e.Message, StringComparison.Ordinal);
        Assert.Equal(path, e.SourcePath);
    }

    private static ParquetReader Open(byte[] bytes) => ParquetReader.Open(new MemoryStream(bytes), "test.parquet");

    private static ForgettingDataException AssertRefused(Func<object?> action, string fragment)
    {
        var e = Assert.Throws<ForgettingDataException>(action);
        Assert.Contains(fragment, e.Message, StringComparison.Ordinal);
        Assert.StartsWith("test.parquet: ", e.Message, StringComparison.Ordinal);
        return e;
    }

    private static ForgettingDataException AssertRefused(Action action, string fragment) => AssertRefused(() =>
    {
        action();
        return null;
    }, fragment);

    private sealed class NonSeekableStream : MemoryStream
    {
        public override bool CanSeek => false;
    }
}
