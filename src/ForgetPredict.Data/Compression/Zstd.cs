using System.Buffers.Binary;

namespace ForgetPredict.Data.Compression;

/// <summary>
/// Zstandard decompression (RFC 8878) into a caller-owned buffer, for ZSTD-compressed Parquet pages.
/// </summary>
/// <remarks>
/// <para>Supports every feature of RFC 8878 frames except dictionaries: single-segment and windowed frames, all frame
/// content size encodings, raw, RLE and compressed blocks, Huffman literals (1 or 4 streams, treeless), every FSE
/// sequence table mode, the XXH64 content checksum (verified), skippable frames and concatenated frames. Legacy
/// (pre-1.0) formats and dictionaries are refused with a message naming them.</para>
/// <para>Output is decoded straight into the destination; matches are copied from it, so no window buffer is
/// allocated whatever the header says. Scratch (literal buffer, Huffman and FSE tables, about 150 KiB) is kept per
/// thread and reused: after the first call on a thread, calls allocate nothing.</para>
/// <para>Safety: every read is checked against the source and every write against the destination; malformed,
/// truncated or hostile input only ever raises <see cref="InvalidDataException"/>. The fast copy paths may
/// overwrite up to 32 bytes of the destination beyond the bytes finally written (never beyond the destination),
/// so the content of <c>destination</c> past the returned length is unspecified.</para>
/// <para>Thread safety: the methods are static and safe to call from several threads at once.
/// The source and destination spans must not overlap.</para>
/// </remarks>
internal static class Zstd
{
    /// <summary>
    /// Decompresses every frame in <paramref name="source"/> (concatenated Zstandard frames, skippable frames allowed)
    /// into <paramref name="destination"/>.
    /// </summary>
    /// <param name="source">One or more frames, nothing else. Empty input holds no frame and decodes to 0 bytes.</param>
    /// <param name="destination">Receives the concatenated content of the frames.</param>
    /// <returns>The number of bytes written at the start of <paramref name="destination"/>.</returns>
    /// <exception cref="InvalidDataException">The input is corrupt or truncated, fails its content checksum, uses a
    /// dictionary or a legacy format, or decompresses to more than <paramref name="destination"/> holds ("decompressed
    /// data is larger than the N bytes expected").</exception>
    public static int Decompress(ReadOnlySpan<byte> source, Span<byte> destination)
    {
        try
        {
            return ZstdDecoder.ForCurrentThread().DecompressFrames(source, destination);
        }
        catch (Exception e) when (e is IndexOutOfRangeException or ArgumentException or OverflowException or InvalidOperationException or NullReferenceException)
        {
            // Defence in depth: the decoder validates before it indexes, so this is a decoder bug met on malformed input.
            throw new InvalidDataException("Zstandard data could not be decoded (internal decoder error on malformed input: " + e.Message + ").", e);
        }
    }

    /// <summary>
    /// The content size announced by the header of the first Zstandard frame in <paramref name="source"/> (skippable
    /// frames before it are skipped), or -1 when that header does not carry it.
    /// </summary>
    /// <param name="source">Compressed data starting with a frame.</param>
    /// <returns>The decompressed size of the first frame, -1 when unknown, or 0 when <paramref name="source"/> holds only skippable frames.</returns>
    /// <exception cref="InvalidDataException">The header is truncated or invalid, or the data is not Zstandard.</exception>
    public static long GetFrameContentSize(ReadOnlySpan<byte> source)
    {
        if (source.IsEmpty)
        {
            ZstdErrors.Truncated("a frame's magic number (the input is empty)");
        }

        int position = 0;
        while (position < source.Length)
        {
            if (source.Length - position < 4)
            {
                ZstdErrors.Truncated("a frame's magic number");
            }

            uint magic = BinaryPrimitives.ReadUInt32LittleEndian(source.Slice(position));
            if ((magic & 0xFFFFFFF0) == ZstdFrameHeader.SkippableMagic)
            {
                position = ZstdDecoder.SkipSkippableFrame(source, position);
                continue;
            }

            if (magic != ZstdFrameHeader.Magic)
            {
                ZstdDecoder.ThrowBadMagic(magic, position);
            }

            return ZstdFrameHeader.Parse(source.Slice(position + 4)).ContentSize;
        }

        return 0;
    }
}
