using System.Buffers.Binary;
using System.Globalization;
using ZstdSharp;
using ZstdSharp.Unsafe;

namespace ForgetPredict.Data.Compression;

/// <summary>
/// Zstandard (RFC 8878) decompression of Parquet pages into a caller-owned buffer, on ZstdSharp (a managed port of the
/// reference libzstd), behind our own error: every failure is an
/// <see cref="InvalidDataException"/> whose message starts with "Zstandard" and says what is wrong.
/// </summary>
/// <remarks>
/// <para>Decompression accepts concatenated and skippable frames, verifies the XXH64 content checksum when a frame carries
/// one, and refuses dictionaries and the legacy (pre-1.0) formats with a message naming them. It is one-shot into the
/// destination, so no window buffer is allocated whatever a frame header claims, and nothing is written past
/// <c>destination</c>.</para>
/// <para>Thread safety: the methods are static and safe to call from several threads at once (each thread keeps its own
/// decompression context, created on first use and reused, so calls after the first allocate nothing).</para>
/// </remarks>
internal static class Zstd
{
    private const uint Magic = 0xFD2FB528;
    private const uint FirstLegacyMagic = 0xFD2FB51E;

    [ThreadStatic]
    private static Decompressor? s_decompressor;

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
        if (source.IsEmpty)
        {
            return 0;
        }

        var decompressor = s_decompressor ??= new Decompressor();
        try
        {
            return decompressor.Unwrap(source, destination);
        }
        catch (ZstdException e)
        {
            throw Refusal(e.Code, source, destination.Length);
        }
        catch (Exception e) when (e is IndexOutOfRangeException or ArgumentException or OverflowException or InvalidOperationException)
        {
            // Defence in depth: libzstd's port reports errors by code, so this is a decoder bug met on malformed input.
            throw new InvalidDataException("Zstandard data could not be decoded (internal decoder error on malformed input: " + e.Message + ").", e);
        }
    }

    // The message for an error code of libzstd, in our words.
    private static InvalidDataException Refusal(ZSTD_ErrorCode code, ReadOnlySpan<byte> source, int destinationLength) => IsLegacy(source)
        ? Unsupported("the legacy Zstandard format (pre-1.0 magic number); re-compress with zstd 1.0 or later")
        : code switch
        {
            ZSTD_ErrorCode.ZSTD_error_dstSize_tooSmall => new InvalidDataException(string.Create(CultureInfo.InvariantCulture,
                $"Zstandard: decompressed data is larger than the {destinationLength} bytes expected.")),
            ZSTD_ErrorCode.ZSTD_error_checksum_wrong => Corrupt("the content checksum (XXH64) does not match the decompressed data"),
            ZSTD_ErrorCode.ZSTD_error_srcSize_wrong => new InvalidDataException("Zstandard data is truncated: the input ends inside a frame."),
            ZSTD_ErrorCode.ZSTD_error_dictionary_wrong => Unsupported("a dictionary (the frame header names a dictionary id); re-compress without a dictionary"),
            ZSTD_ErrorCode.ZSTD_error_dictionary_corrupted =>
                Corrupt("a block reuses entropy tables no earlier block defined (treeless literals or repeated tables, which only a dictionary could supply)"),
            ZSTD_ErrorCode.ZSTD_error_prefix_unknown => Corrupt("no Zstandard frame where one should start (the magic number is not 28 B5 2F FD)"),
            ZSTD_ErrorCode.ZSTD_error_frameParameter_unsupported => Corrupt("a frame header sets a reserved bit or an unsupported parameter"),
            ZSTD_ErrorCode.ZSTD_error_frameParameter_windowTooLarge => Unsupported("a window larger than libzstd decodes"),
            ZSTD_ErrorCode.ZSTD_error_tableLog_tooLarge or ZSTD_ErrorCode.ZSTD_error_maxSymbolValue_tooLarge or ZSTD_ErrorCode.ZSTD_error_literals_headerWrong =>
                Corrupt("an entropy table (Huffman or FSE) or a literals header is invalid"),
            _ => Corrupt("a block or its sequences do not decode (damaged data, or a frame compressed against a dictionary; "
                + code.ToString().Replace("ZSTD_error_", string.Empty, StringComparison.Ordinal) + ")"),
        };

    private static bool IsLegacy(ReadOnlySpan<byte> source)
    {
        if (source.Length < 4)
        {
            return false;
        }

        var magic = BinaryPrimitives.ReadUInt32LittleEndian(source);
        return magic is >= FirstLegacyMagic and < Magic;
    }

    private static InvalidDataException Corrupt(string detail) => new("Zstandard data is corrupt: " + detail + ".");

    private static InvalidDataException Unsupported(string feature) => new("Zstandard data uses an unsupported feature: " + feature + ".");
}
