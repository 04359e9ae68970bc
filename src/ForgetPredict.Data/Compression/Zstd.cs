namespace ForgetPredict.Data.Compression;

// Temporary stand-in on the parquet branch: the real decompressor lands from the zstd branch at merge and replaces
// this file. The signature is the agreed one; every call fails as malformed input would.

/// <summary>ZSTD frame decompression (placeholder until the real decoder is merged).</summary>
internal static class Zstd
{
    /// <summary>Decompresses the ZSTD frames in <paramref name="source"/> into <paramref name="destination"/>; returns the bytes written.</summary>
    /// <exception cref="InvalidDataException">Always, in this branch: ZSTD is not available yet.</exception>
    public static int Decompress(ReadOnlySpan<byte> source, Span<byte> destination) =>
        throw new InvalidDataException("ZSTD is not available in this branch");
}
