using ForgetPredict.Data.Parquet;
using static ForgetPredict.Data.Tests.Parquet.ParquetFileBuilder;

namespace ForgetPredict.Data.Tests.Parquet;

/// <summary>LZ4_RAW and BROTLI pages (and ZSTD through the same dispatch): decoded exactly, refused by name when corrupt,
/// and bounded by the page header's size before anything is allocated.</summary>
public sealed class PageCodecTests
{
    public static TheoryData<int, string> Codecs() => new() { { 7, "LZ4_RAW" }, { 4, "BROTLI" }, { 6, "ZSTD" } };

    [Theory]
    [MemberData(nameof(Codecs))]
    public void Read_CompressedPage_DecodesToTheValues(int codec, string name)
    {
        // Given: 1,000 INT32 values in one page compressed by the codec's reference encoder
        var values = Enumerable.Range(0, 1000).Select(i => (i * 37) % 101).ToArray();
        var plain = Int32s(values);
        var page = PageCodecs.Compress((CompressionCodec)codec, plain);
        using var reader = Open(Build([new Element("x", 1)], [new Chunk(DataPageV1(values.Length, 0, page, uncompressedSize: plain.Length), Codec: codec)], values.Length));

        // When
        var read = new double[values.Length];
        reader.ReadDoubles(0, 0, read);

        // Then
        Assert.Equal(values.Select(v => (double)v), read);
        Assert.True(page.Length < plain.Length, name + " compressed the page");
    }

    [Theory]
    [MemberData(nameof(Codecs))]
    public void Read_CorruptPage_IsRefusedNamingTheCodecAndPage(int codec, string name)
    {
        // Given: bytes that are not a stream of the codec, in a page announcing 12 bytes
        byte[] garbage = [0xFF, 0xFF, 0xFF, 0xFF, 0x13, 0x37, 0x00, 0x42, 0xFE, 0x01];
        using var reader = Open(Build([new Element("x", 1)], [new Chunk(DataPageV1(3, 0, garbage, uncompressedSize: 12), Codec: codec)], 3));

        // When / Then
        var e = Assert.Throws<ForgettingDataException>(() => reader.ReadDoubles(0, 0, new double[3]));
        Assert.Contains($"the {name} page data is corrupt", e.Message, StringComparison.Ordinal);
        Assert.Equal("row group 0, page 0", e.Location);
    }

    [Theory]
    [MemberData(nameof(Codecs))]
    public void Read_PageDecodingToMoreThanItsHeaderSays_IsRefused(int codec, string name)
    {
        // Given: 12 bytes of values compressed, but a header announcing 8
        var page = PageCodecs.Compress((CompressionCodec)codec, Int32s(1, 2, 3));
        using var reader = Open(Build([new Element("x", 1)], [new Chunk(DataPageV1(2, 0, page, uncompressedSize: 8), Codec: codec)], 2));

        // When / Then
        var e = Assert.Throws<ForgettingDataException>(() => reader.ReadDoubles(0, 0, new double[2]));
        Assert.Contains($"the {name} page data is corrupt", e.Message, StringComparison.Ordinal);
        Assert.Contains("than the 8 bytes expected", e.Message, StringComparison.Ordinal);
    }

    [Theory]
    [MemberData(nameof(Codecs))]
    public void Read_PageDecodingToLessThanItsHeaderSays_IsRefused(int codec, string name)
    {
        // Given: 12 bytes of values compressed, but a header announcing 16
        var page = PageCodecs.Compress((CompressionCodec)codec, Int32s(1, 2, 3));
        using var reader = Open(Build([new Element("x", 1)], [new Chunk(DataPageV1(4, 0, page, uncompressedSize: 16), Codec: codec)], 4));

        // When / Then
        var e = Assert.Throws<ForgettingDataException>(() => reader.ReadDoubles(0, 0, new double[4]));
        Assert.Contains($"the {name} page decompressed to 12 bytes where the header says 16", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Read_Lz4RawPageClaimingMoreThanLz4CanExpand_RefusesBeforeAllocating()
    {
        // Given: a string column (no fixed-width bound) whose 5-byte LZ4_RAW page claims 2 MB; LZ4 expands at most ~255x.
        var bytes = Build([new Element("s", 6, Converted: 0)], [new Chunk(DataPageV1(3, 0, [0x1F, 0x41, 0x01, 0x00, 0x50], uncompressedSize: 2_000_000), Codec: 7)], 3);
        using var reader = Open(bytes);
        var before = GC.GetAllocatedBytesForCurrentThread();

        // When / Then
        var e = Assert.Throws<ForgettingDataException>(() => reader.ReadStrings(0, 0, new string?[3]));
        Assert.Contains("the page claims 2000000 uncompressed bytes, more than its 5 LZ4_RAW bytes", e.Message, StringComparison.Ordinal);
        Assert.True(GC.GetAllocatedBytesForCurrentThread() - before < 1 << 20, "no large allocation");
    }

    private static ParquetReader Open(byte[] bytes) => ParquetReader.Open(new MemoryStream(bytes), "test.parquet");
}
