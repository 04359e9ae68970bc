using System.IO.Compression;
using ForgetPredict.Data.Parquet;
using K4os.Compression.LZ4;
using ZstdSharp;

namespace ForgetPredict.Data.Tests.Parquet;

/// <summary>Compresses test pages with each codec's reference .NET encoder (K4os LZ4, the built-in Brotli, ZstdSharp).</summary>
internal static class PageCodecs
{
    /// <summary>The page <paramref name="data"/> compressed as <paramref name="codec"/> stores it (LZ4_RAW: one LZ4 block).</summary>
    public static byte[] Compress(CompressionCodec codec, ReadOnlySpan<byte> data)
    {
        switch (codec)
        {
            case CompressionCodec.Lz4Raw:
            {
                var target = new byte[LZ4Codec.MaximumOutputSize(data.Length)];
                return target.AsSpan(0, LZ4Codec.Encode(data, target)).ToArray();
            }

            case CompressionCodec.Brotli:
            {
                var target = new byte[BrotliEncoder.GetMaxCompressedLength(data.Length)];
                Assert.True(BrotliEncoder.TryCompress(data, target, out var written));
                return target.AsSpan(0, written).ToArray();
            }

            case CompressionCodec.Zstd:
            {
                using var compressor = new Compressor(3);
                return compressor.Wrap(data).ToArray();
            }

            default:
                throw new ArgumentOutOfRangeException(nameof(codec), codec, "no test encoder for this codec");
        }
    }
}
