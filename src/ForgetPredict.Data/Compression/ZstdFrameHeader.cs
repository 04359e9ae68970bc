using System.Buffers.Binary;

namespace ForgetPredict.Data.Compression;

/// <summary>A parsed Zstandard frame header (RFC 8878 §3.1.1.1), the part after the magic number.</summary>
internal readonly struct ZstdFrameHeader
{
    /// <summary>Magic number of a Zstandard frame.</summary>
    public const uint Magic = 0xFD2FB528;

    /// <summary>Magic number of a skippable frame, with its low 4 bits cleared.</summary>
    public const uint SkippableMagic = 0x184D2A50;

    /// <summary>Magic number of a Zstandard dictionary.</summary>
    public const uint DictionaryMagic = 0xEC30A437;

    private ZstdFrameHeader(int size, long contentSize, ulong windowSize, bool hasChecksum, uint dictionaryId)
    {
        Size = size;
        ContentSize = contentSize;
        WindowSize = windowSize;
        HasChecksum = hasChecksum;
        DictionaryId = dictionaryId;
    }

    /// <summary>Bytes of the header, from the frame header descriptor to the first block.</summary>
    public int Size { get; }

    /// <summary>Frame content size, or -1 when the header does not carry it.</summary>
    public long ContentSize { get; }

    /// <summary>Window size: from the window descriptor, or the content size in single-segment mode.</summary>
    public ulong WindowSize { get; }

    /// <summary>True when a 4-byte XXH64 content checksum follows the last block.</summary>
    public bool HasChecksum { get; }

    /// <summary>Dictionary id; 0 when absent or 0 (no dictionary named).</summary>
    public uint DictionaryId { get; }

    /// <summary>Largest block (compressed or decompressed) the frame may hold: the smaller of the window and 128 KiB.</summary>
    public int BlockSizeMax => (int)Math.Min(WindowSize, ZstdDecoder.BlockSizeMax);

    /// <summary>Parses the header at the start of <paramref name="source"/> (just after the magic number).</summary>
    public static ZstdFrameHeader Parse(ReadOnlySpan<byte> source)
    {
        if (source.IsEmpty)
        {
            ZstdErrors.Truncated("a frame header");
        }

        int descriptor = source[0];
        int contentSizeFlag = descriptor >> 6;
        bool singleSegment = (descriptor & 0x20) != 0;
        if ((descriptor & 0x08) != 0)
        {
            ZstdErrors.Corrupt("the frame header's reserved bit is set");
        }

        bool hasChecksum = (descriptor & 0x04) != 0;
        int dictionaryIdSize = (descriptor & 3) switch { 0 => 0, 1 => 1, 2 => 2, _ => 4 };
        int contentSizeSize = contentSizeFlag switch { 0 => singleSegment ? 1 : 0, 1 => 2, 2 => 4, _ => 8 };
        int size = 1 + (singleSegment ? 0 : 1) + dictionaryIdSize + contentSizeSize;
        if (source.Length < size)
        {
            ZstdErrors.Truncated("a frame header");
        }

        int position = 1;
        ulong windowSize = 0;
        if (!singleSegment)
        {
            int windowDescriptor = source[position++];
            int windowLog = 10 + (windowDescriptor >> 3);
            ulong windowBase = 1UL << windowLog;
            windowSize = windowBase + ((windowBase >> 3) * (ulong)(windowDescriptor & 7));
        }

        uint dictionaryId = dictionaryIdSize switch
        {
            0 => 0,
            1 => source[position],
            2 => BinaryPrimitives.ReadUInt16LittleEndian(source.Slice(position)),
            _ => BinaryPrimitives.ReadUInt32LittleEndian(source.Slice(position)),
        };
        position += dictionaryIdSize;

        ulong contentSize = contentSizeSize switch
        {
            0 => ulong.MaxValue,
            1 => source[position],
            2 => BinaryPrimitives.ReadUInt16LittleEndian(source.Slice(position)) + 256UL,
            4 => BinaryPrimitives.ReadUInt32LittleEndian(source.Slice(position)),
            _ => BinaryPrimitives.ReadUInt64LittleEndian(source.Slice(position)),
        };

        long signedContentSize;
        if (contentSizeSize == 0)
        {
            signedContentSize = -1;
        }
        else if (contentSize > long.MaxValue)
        {
            ZstdErrors.Corrupt("the frame content size " + contentSize.ToString(System.Globalization.CultureInfo.InvariantCulture) + " is too large");
            return default;
        }
        else
        {
            signedContentSize = (long)contentSize;
        }

        if (singleSegment)
        {
            windowSize = contentSize;
        }

        return new ZstdFrameHeader(size, signedContentSize, windowSize, hasChecksum, dictionaryId);
    }

    /// <summary>True when <paramref name="magic"/> is one of the legacy (pre-1.0, v0.1 to v0.7) Zstandard magic numbers.</summary>
    public static bool IsLegacyMagic(uint magic) => magic == 0xFD2FB51E || (magic >= 0xFD2FB522 && magic <= 0xFD2FB527);
}
