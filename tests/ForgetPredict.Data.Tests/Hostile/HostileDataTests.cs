using System.Buffers.Binary;
using System.Text;
using ForgetPredict.Core;
using ForgetPredict.Data.Formats;
using ForgetPredict.Data.Parquet;
using ForgetPredict.Data.Tests.Formats;
using ForgetPredict.Testing;
using static ForgetPredict.Data.Tests.Parquet.ParquetFileBuilder;

namespace ForgetPredict.Data.Tests.Hostile;

/// <summary>Issue 14, items 1, 3 and 10: hostile and lossy data files, each built here byte by byte.</summary>
[Collection(nameof(AllocationMeasurements))]
public sealed class HostileDataTests
{
    private const int Utf8 = 0;
    private const int ByteArray = 6;
    private const int Int32 = 1;
    private const int Double = 5;
    private const int Float = 4;

    // A footer (num_rows, and every chunk's num_values) claiming 50 million rows over pages that hold three values: the
    // readers used to size their arrays from the claim (200 MB for a wide matrix, 800 MB of ids for a long one, 400 MB
    // for a metadata table) before reading a page.
    [Fact]
    public void Item01_ParquetFooterClaimingRowsItsPagesDoNotHoldIsRefusedBeforeAllocating()
    {
        const long Claimed = 50_000_000;
        var wide = Build([new Element("x", Int32)], [new Chunk(DataPageV1(3, 0, Int32s(1, 2, 3)))], Claimed);
        var longLayout = LongFile(Claimed, ["t0", "t0", "t1"], ["a", "b", "a"], [0.5f, 0.25f, 1f]);
        var folder = RepoPaths.NewTempFolder("fp-item01");
        var table = Path.Combine(folder, "exclude.parquet");
        File.WriteAllBytes(table, longLayout);

        foreach (var read in new Action[]
                 {
                     () => MatrixFile.Read(new MemoryStream(wide), "wide.parquet"),
                     () => MatrixFile.Read(new MemoryStream(longLayout), "long.parquet"),
                     () => MetadataTable.Read(table),
                 })
        {
            var before = GC.GetAllocatedBytesForCurrentThread();
            var error = Assert.Throws<ForgettingDataException>(read);
            var allocated = GC.GetAllocatedBytesForCurrentThread() - before;

            Assert.Contains("claims 50000000 rows but", error.Message, StringComparison.Ordinal);
            Assert.True(allocated < 4 << 20, $"{allocated} bytes allocated before the refusal: {error.Message}");
        }
    }

    // The metadata counts agree with the footer but the pages hold fewer values: the page headers are counted.
    [Fact]
    public void Item01_ParquetPagesHoldingFewerValuesThanTheRowCountAreRefusedAtOpen()
    {
        var file = Build([new Element("x", Int32)], [new Chunk(DataPageV1(3, 0, Int32s(1, 2, 3)))], 1_000_000);

        var error = Assert.Throws<ForgettingDataException>(() => ParquetReader.Open(new MemoryStream(file), "f.parquet"));

        Assert.Contains("claims 1000000 rows but its pages hold 3 values", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Item03_NpzCrcMismatchIsRefused()
    {
        var matrix = ForgettingMatrix.Wrap([1.5f, 2.5f, 3.5f, 4.5f], 2, 2, ["t0", "t1"], ["a", "b"]);
        using var archive = new MemoryStream();
        NpzFormat.Write(matrix, archive);
        var bytes = archive.ToArray();
        var at = bytes.AsSpan().IndexOf(BitConverter.GetBytes(4.5f));
        Assert.True(at > 0);
        BinaryPrimitives.WriteSingleLittleEndian(bytes.AsSpan(at), 5.5f);

        var error = Assert.Throws<ForgettingDataException>(() => MatrixFile.Read(new MemoryStream(bytes), "z.npz"));

        Assert.Contains("CRC-32", error.Message, StringComparison.Ordinal);
        Assert.Contains("z.npy", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Item03_NpzIdArrayCrcMismatchIsRefused()
    {
        var matrix = ForgettingMatrix.Wrap([1.5f, 2.5f], 1, 2, ["t0"], ["ax", "bx"]);
        using var archive = new MemoryStream();
        NpzFormat.Write(matrix, archive);
        var bytes = archive.ToArray();
        var at = bytes.AsSpan().IndexOf(Encoding.UTF32.GetBytes("bx"));
        bytes[at] = (byte)'c';

        var error = Assert.Throws<ForgettingDataException>(() => MatrixFile.Read(new MemoryStream(bytes), "z.npz"));

        Assert.Contains("example_ids.npy", error.Message, StringComparison.Ordinal);
    }

    // A row group claiming 0 rows over pages with values was read as an empty matrix, and as an empty --exclude list.
    [Fact]
    public void Item03_ParquetZeroRowGroupWhosePagesHoldValuesIsRefused()
    {
        var wide = Build([new Element("x", Int32)], [new Chunk(DataPageV1(3, 0, Int32s(1, 2, 3)))], 0);
        var folder = RepoPaths.NewTempFolder("fp-item03");
        var table = Path.Combine(folder, "exclude.parquet");
        File.WriteAllBytes(table, LongFile(0, ["t0"], ["a"], [0.5f]));

        var matrixError = Assert.Throws<ForgettingDataException>(() => MatrixFile.Read(new MemoryStream(wide), "zero.parquet"));
        var tableError = Assert.Throws<ForgettingDataException>(() => MetadataTable.Read(table));

        Assert.Contains("claims 0 rows but its pages hold 3 values", matrixError.Message, StringComparison.Ordinal);
        Assert.Contains("claims 0 rows but", tableError.Message, StringComparison.Ordinal);
    }

    // An OPTIONAL column's v1 page (definition levels, then values) under a footer that says REQUIRED: the level bytes
    // were read as the first value and every value shifted.
    [Theory]
    [InlineData(Double)]
    [InlineData(Int32)]
    public void Item03_ParquetColumnFlippedFromOptionalToRequiredIsRefused(int type)
    {
        var levels = new byte[] { 2, 0, 0, 0, 3 << 1, 1 }; // length 2, then an RLE run of three 1s
        var values = type == Double ? [.. BitConverter.GetBytes(1.0), .. BitConverter.GetBytes(2.0), .. BitConverter.GetBytes(3.0)] : Int32s(1, 2, 3);
        var file = Build([new Element("x", type, Repetition: 0)], [new Chunk(DataPageV1(3, 0, [.. levels, .. values]))], 3);
        using var reader = ParquetReader.Open(new MemoryStream(file), "flipped.parquet");

        var error = Assert.Throws<ForgettingDataException>(() => reader.ReadDoubles(0, 0, new double[3]));

        Assert.Contains("REQUIRED", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Item03_ParquetPageCrcsAreWrittenAndADamagedPageIsRefused()
    {
        using var stream = new MemoryStream();
        using (var writer = ParquetWriter.Create(stream, [new ParquetColumnSpec("x", ParquetValueType.Double)], new ParquetWriteOptions { Codec = ParquetCodec.Uncompressed }, leaveOpen: true))
        {
            writer.WriteRows([ParquetColumnData.FromDoubles(new[] { 1234.5, 2.0, 3.0 })]);
        }

        var bytes = stream.ToArray();
        using (var intact = ParquetReader.Open(new MemoryStream(bytes), "intact.parquet"))
        {
            var read = new double[3];
            intact.ReadDoubles(0, 0, read);
            Assert.Equal([1234.5, 2.0, 3.0], read);
        }

        var at = bytes.AsSpan().IndexOf(BitConverter.GetBytes(1234.5));
        BinaryPrimitives.WriteDoubleLittleEndian(bytes.AsSpan(at), 1234.75);
        using var damaged = ParquetReader.Open(new MemoryStream(bytes), "damaged.parquet");

        var error = Assert.Throws<ForgettingDataException>(() => damaged.ReadDoubles(0, 0, new double[3]));

        Assert.Contains("CRC-32", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Item10_NpyOutputReportsThatItDropsIds()
    {
        var withIds = ForgettingMatrix.Wrap([1f, 2f], 1, 2, ["t0"], ["a", "b"]);
        var withoutIds = ForgettingMatrix.Wrap([1f, 2f], 1, 2);

        var losses = MatrixFile.LossesOnWrite(withIds, "npy", MatrixLayout.Wide);

        Assert.Contains(".npz", Assert.Single(losses), StringComparison.Ordinal);
        Assert.Empty(MatrixFile.LossesOnWrite(withoutIds, "npy", MatrixLayout.Wide));
        Assert.Empty(MatrixFile.LossesOnWrite(withIds, "npz", MatrixLayout.Wide));
    }

    [Fact]
    public void Item10_LongLayoutReportsTasksAndExamplesItCannotHold()
    {
        var matrix = ForgettingMatrix.Wrap([1f, float.NaN, float.NaN, float.NaN], 2, 2);

        var loss = Assert.Single(MatrixFile.LossesOnWrite(matrix, "csv", MatrixLayout.Long));

        Assert.Contains("1 task(s) and 1 example(s)", loss, StringComparison.Ordinal);
    }

    // npy -> long -> npy: missing cells in the first tasks make later examples appear first in the long file; the
    // columns used to come back permuted.
    [Theory]
    [InlineData("csv")]
    [InlineData("tsv")]
    [InlineData("parquet")]
    public void Item10_NpyToLongToNpyRoundTripsExactly(string format)
    {
        const int Tasks = 4, Examples = 12;
        var values = new float[Tasks * Examples];
        for (var i = 0; i < values.Length; i++)
        {
            values[i] = (i % Examples) < 6 - (2 * (i / Examples)) ? float.NaN : (i * 0.37f) - 3f;
        }

        var original = ForgettingMatrix.Wrap(values, Tasks, Examples);
        using var npy = new MemoryStream();
        MatrixFile.Write(original, npy, "npy");
        var fromNpy = MatrixFile.Read(new MemoryStream(npy.ToArray()), "z.npy");
        using var longFile = new MemoryStream();
        MatrixFile.Write(fromNpy, longFile, format, new MatrixWriteOptions { Layout = MatrixLayout.Long });

        var back = MatrixFile.Read(new MemoryStream(longFile.ToArray()), "long." + format);

        Assert.Equal(Enumerable.Range(0, Examples).Select(j => j.ToString(System.Globalization.CultureInfo.InvariantCulture)), back.ExampleIds);
        FormatTestSupport.AssertSameValues(original.Values, back.Values);
    }

    [Fact]
    public void Item10_LongLayoutWithTextIdsKeepsFirstAppearanceOrder()
    {
        var csv = "task,example,value\nt1,b,1\nt1,a,2\nt0,a,3\n"u8.ToArray();

        var matrix = MatrixFile.Read(new MemoryStream(csv), "long.csv");

        Assert.Equal(["t1", "t0"], matrix.TaskIds);
        Assert.Equal(["b", "a"], matrix.ExampleIds);
    }

    [Theory]
    [InlineData("task,ex_0\nt\xE9,0.5\n", 2L)]
    [InlineData("task,ex_\xE9\nt0,0.5\n", 1L)]
    [InlineData("task,example,value\nt0,ex_0,0.5\nt0,ex_\xE9,0.5\n", 3L)]
    public void Item10_NonUtf8BytesInCsvIdsAreRefusedNamingRowAndByte(string latin1, long line)
    {
        var bytes = Encoding.Latin1.GetBytes(latin1);

        var error = Assert.Throws<ForgettingDataException>(() => MatrixFile.Read(new MemoryStream(bytes), "latin1.csv"));

        Assert.Equal(line, error.Line);
        Assert.Contains("0xE9", error.Message, StringComparison.Ordinal);
        Assert.Contains("UTF-8", error.Message, StringComparison.Ordinal);
    }

    // Parquet names and string ids, .npz byte-string ids and a .txt header were decoded with U+FFFD for bytes that are not
    // UTF-8 (found by a QA pass): a corrupted id became another id silently. They are refused as the CSV reader refuses them.
    [Fact]
    public void Item10_NonUtf8BytesInParquetNamesOrIdsAreRefused()
    {
        // A wide file whose column name (an example id, in the footer) has a byte that is never UTF-8.
        var z = ForgettingMatrix.Create([0.5f, 0.25f, 0.125f, 1f], 2, 2, ["tsk_0", "tsk_1"], ["exa_0", "exa_1"]);
        using var buffer = new MemoryStream();
        ParquetMatrixFormat.Write(z, buffer);
        var wide = buffer.ToArray();
        for (var at = wide.AsSpan().IndexOf("exa_1"u8); at >= 0; at = wide.AsSpan().IndexOf("exa_1"u8))
        {
            wide[at + 1] = 0xFF; // in the schema and in the column chunk's path
        }

        // A long file (no page checksums) whose example column holds such an id.
        static byte[] Strings(params byte[][] values) => [.. values.SelectMany(v => (byte[])[.. BitConverter.GetBytes(v.Length), .. v])];
        var longFile = Build(
            [new Element("task", 6, Converted: 0), new Element("example", 6, Converted: 0), new Element("value", 4)],
            [new Chunk(DataPageV1(2, 0, Strings("t0"u8.ToArray(), "t0"u8.ToArray()))), new Chunk(DataPageV1(2, 0, Strings("e0"u8.ToArray(), [(byte)'e', 0xFF, (byte)'1']))),
                new Chunk(DataPageV1(2, 0, [.. BitConverter.GetBytes(0.5f), .. BitConverter.GetBytes(0.25f)]))],
            2);

        var wideError = Assert.Throws<ForgettingDataException>(() => MatrixFile.Read(new MemoryStream(wide), "wide.parquet"));
        var longError = Assert.Throws<ForgettingDataException>(() => MatrixFile.Read(new MemoryStream(longFile), "long.parquet"));

        Assert.True(wideError.Message.StartsWith("wide.parquet", StringComparison.Ordinal) && wideError.Message.Contains("is not UTF-8 text: its byte 2 is 0xFF (after 'e')", StringComparison.Ordinal), wideError.Message);
        Assert.True(longError.Message.StartsWith("long.parquet", StringComparison.Ordinal) && longError.Message.Contains("is not UTF-8 text: its byte 2 is 0xFF (after 'e')", StringComparison.Ordinal), longError.Message);
    }

    [Fact]
    public void Item10_NonUtf8BytesInNpzIdsOrATextHeaderAreRefused()
    {
        // An .npz whose example ids are numpy bytes (dtype S5), as np.savez writes np.array([b'exa_0', b'e\xffa_1']).
        var z = ForgettingMatrix.Create([0.5f, 0.25f, 0.125f, 1f], 2, 2);
        using var npz = new MemoryStream();
        using (var archive = new System.IO.Compression.ZipArchive(npz, System.IO.Compression.ZipArchiveMode.Create, leaveOpen: true))
        {
            using (var entry = archive.CreateEntry("z.npy").Open())
            {
                NpyFormat.Write(z, entry);
            }

            using var ids = archive.CreateEntry("example_ids.npy").Open();
            var header = "{'descr': '|S5', 'fortran_order': False, 'shape': (2,), }";
            header = header.PadRight(((10 + header.Length + 1 + 63) / 64 * 64) - 10 - 1) + "\n";
            ids.Write([0x93, .. "NUMPY"u8, 1, 0, (byte)header.Length, (byte)(header.Length >> 8), .. Encoding.ASCII.GetBytes(header), .. "exa_0"u8, (byte)'e', 0xFF, .. "a_1"u8]);
        }

        var npzError = Assert.Throws<ForgettingDataException>(() => MatrixFile.Read(new MemoryStream(npz.ToArray()), "bad.npz"));
        var txtError = Assert.Throws<ForgettingDataException>(() => MatrixFile.Read(new MemoryStream([.. "# e"u8, 0xFF, .. "0 e1\n0.5 0.25\n"u8]), "bad.txt"));

        Assert.Contains("entry 1 is not UTF-8 text: its byte 2 is 0xFF (after 'e')", npzError.Message, StringComparison.Ordinal);
        Assert.Contains("the header line is not UTF-8 text", txtError.Message, StringComparison.Ordinal);
    }

    // R write.table and pandas to_csv(index_label=False) write no header cell for the row names.
    [Theory]
    [InlineData("\"ex_0\",\"ex_1\",\"ex_2\"\n\"t0\",0.1,0.2,0.3\n\"t1\",0.4,0.5,0.6\n")]
    [InlineData("task,example,value\n1,t0,ex_0,0.5\n")]
    public void Item10_HeaderOneFieldShortGetsTheRowNamesHint(string text)
    {
        var error = Assert.Throws<ForgettingDataException>(() => MatrixFile.Read(new MemoryStream(Encoding.UTF8.GetBytes(text)), "r.csv"));

        Assert.Contains("row names", error.Message, StringComparison.Ordinal);
        Assert.Contains("index_label", error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("If the numbers use decimal commas", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("{\"b\": 0.5, \"c\": 0.25}", false)]
    [InlineData("[{\"example\": \"b\", \"value\": 0.5}, {\"example\": \"c\", \"value\": 0.25}]", false)]
    [InlineData("[{\"example\": 1, \"value\": 0.5}, {\"example\": 2, \"value\": 0.25}]", true)]
    public void Item10_ObservedJsonIsParsedAsJson(string json, bool byIndex)
    {
        var path = Path.Combine(RepoPaths.NewTempFolder("fp-item10"), "obs.json");
        File.WriteAllText(path, json);

        var cells = ObservedCells.Read(path, IdList.From(["a", "b", "c"]), new ExampleMatching(byIndex, "pass --by-index"));

        Assert.Equal([1, 2], cells.Examples);
        Assert.Equal([0.5, 0.25], cells.Values);
    }

    [Fact]
    public void Item10_ObservedJsonOfTheWrongShapeIsRefusedWithTheShapesItTakes()
    {
        var path = Path.Combine(RepoPaths.NewTempFolder("fp-item10"), "obs.json");
        File.WriteAllText(path, "[1, 2]");

        var error = Assert.Throws<ForgettingDataException>(() => ObservedCells.Read(path, IdList.From(["a", "b", "c"]), new ExampleMatching(false, "pass --by-index")));

        Assert.Contains("records", error.Message, StringComparison.Ordinal);
    }

    // A long-layout file (task, example: UTF-8 strings; value: FLOAT) whose footer claims rows rows.
    private static byte[] LongFile(long rows, string[] tasks, string[] examples, float[] values)
    {
        var floats = new byte[values.Length * 4];
        for (var i = 0; i < values.Length; i++)
        {
            BinaryPrimitives.WriteSingleLittleEndian(floats.AsSpan(i * 4), values[i]);
        }

        return Build(
            [new Element("task", ByteArray, Converted: Utf8), new Element("example", ByteArray, Converted: Utf8), new Element("value", Float)],
            [new Chunk(DataPageV1(tasks.Length, 0, Strings(tasks))), new Chunk(DataPageV1(examples.Length, 0, Strings(examples))), new Chunk(DataPageV1(values.Length, 0, floats))],
            rows);
    }

    private static byte[] Strings(string[] values)
    {
        using var bytes = new MemoryStream();
        foreach (var value in values)
        {
            var utf8 = Encoding.UTF8.GetBytes(value);
            bytes.Write(BitConverter.GetBytes(utf8.Length));
            bytes.Write(utf8);
        }

        return bytes.ToArray();
    }
}
