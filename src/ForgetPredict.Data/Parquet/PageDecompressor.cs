using System.Buffers;
using System.IO.Compression;
using System.Runtime.InteropServices;
using ForgetPredict.Data.Compression;
using K4os.Compression.LZ4;

namespace ForgetPredict.Data.Parquet;

/// <summary>
/// The codecs of Parquet data and dictionary pages that <see cref="ParquetReader"/> decodes: SNAPPY, GZIP, ZSTD, LZ4_RAW and
/// BROTLI. Each decodes into a buffer the caller sized from the page header's <c>uncompressed_page_size</c>, so no codec
/// ever allocates for what the compressed bytes claim; every failure is an <see cref="InvalidDataException"/>.
/// </summary>
/// <remarks>LZO and the Hadoop-framed LZ4 (codec 5, deprecated by the format) are refused before a page is read.</remarks>
internal static class PageDecompressor
{
    /// <summary>True when <paramref name="codec"/> is one this reader decodes (UNCOMPRESSED included).</summary>
    public static bool IsSupported(CompressionCodec codec) =>
        codec is CompressionCodec.Uncompressed or CompressionCodec.Snappy or CompressionCodec.Gzip or CompressionCodec.Zstd
            or CompressionCodec.Lz4Raw or CompressionCodec.Brotli;

    /// <summary>
    /// The most uncompressed bytes one compressed byte of <paramref name="codec"/> can stand for (plus a small constant):
    /// a page header claiming more is refused before its buffer is allocated.
    /// </summary>
    public static long MaxRatio(CompressionCodec codec) => codec switch
    {
        CompressionCodec.Snappy => 22,
        CompressionCodec.Lz4Raw => 256,
        CompressionCodec.Gzip => 1100,
        _ => 1 << 15,
    };

    /// <summary>
    /// Decompresses one page of <paramref name="codec"/> into <paramref name="target"/>, whose length is the size the page
    /// header announces.
    /// </summary>
    /// <param name="codec">A compressed codec for which <see cref="IsSupported"/> is true.</param>
    /// <param name="source">The compressed page bytes.</param>
    /// <param name="sourceMemory">The same bytes as array-backed memory (GZIP reads them through a stream).</param>
    /// <param name="target">Receives the page; exactly the announced size.</param>
    /// <returns>The number of bytes written (the caller checks it against the announced size).</returns>
    /// <exception cref="InvalidDataException">The data is corrupt, truncated or decompresses to more than <paramref name="target"/> holds.</exception>
    public static int Decompress(CompressionCodec codec, ReadOnlySpan<byte> source, ReadOnlyMemory<byte> sourceMemory, Span<byte> target)
    {
        switch (codec)
        {
            case CompressionCodec.Snappy:
                var length = Snappy.GetUncompressedLength(source);
                if (length != target.Length)
                {
                    throw new InvalidDataException(FormattableString.Invariant($"Snappy data holds {length} bytes, not {target.Length}."));
                }

                return Snappy.Decompress(source, target);
            case CompressionCodec.Gzip:
            {
                if (!MemoryMarshal.TryGetArray(sourceMemory, out var segment) || segment.Array is null)
                {
                    throw new InvalidOperationException("Column chunk memory is not array-backed.");
                }

                using var input = new MemoryStream(segment.Array, segment.Offset, segment.Count, writable: false);
                using var gzip = new GZipStream(input, CompressionMode.Decompress);
                return gzip.ReadAtLeast(target, target.Length, throwOnEndOfStream: false);
            }

            case CompressionCodec.Zstd:
                return Zstd.Decompress(source, target);
            case CompressionCodec.Lz4Raw:
            {
                // The safe decoder checks every read and write; a negative result is corrupt input or too small a target.
                var written = LZ4Codec.Decode(source, target);
                return written >= 0
                    ? written
                    : throw new InvalidDataException(FormattableString.Invariant(
                        $"LZ4 block data is corrupt or truncated, or decompresses to more than the {target.Length} bytes expected."));
            }

            case CompressionCodec.Brotli:
                return Brotli(source, target);
            default:
                throw new InvalidOperationException("PageDecompressor was asked for codec " + codec + ", which IsSupported refuses.");
        }
    }

    private static int Brotli(ReadOnlySpan<byte> source, Span<byte> target)
    {
        using var decoder = new BrotliDecoder();
        var status = decoder.Decompress(source, target, out var consumed, out var written);
        return status switch
        {
            OperationStatus.Done when consumed == source.Length => written,
            OperationStatus.Done => throw new InvalidDataException(FormattableString.Invariant(
                $"Brotli data ends after {consumed} of its {source.Length} bytes; the rest is not part of the stream.")),
            OperationStatus.DestinationTooSmall => throw new InvalidDataException(FormattableString.Invariant(
                $"Brotli: decompressed data is larger than the {target.Length} bytes expected.")),
            OperationStatus.NeedMoreData => throw new InvalidDataException("Brotli data is truncated: the stream ends before its last block."),
            _ => throw new InvalidDataException("Brotli data is corrupt."),
        };
    }
}
