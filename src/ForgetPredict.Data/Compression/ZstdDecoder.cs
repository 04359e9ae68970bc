using System.Buffers.Binary;

namespace ForgetPredict.Data.Compression;

/// <summary>
/// Decoding state and scratch for <see cref="Zstd"/>: one instance per thread, reused across calls, so a call allocates
/// nothing once the thread has decoded something.
/// </summary>
/// <remarks>
/// <para>Scratch is bounded by the format, never by header values: the literal buffer holds one block's literals
/// (128 KiB plus copy slack), the Huffman table 4096 entries, the FSE tables 512/512/256 states.</para>
/// <para>State that carries from block to block inside a frame (RFC 8878 §3.1.1.3: the repeat offsets, the previous
/// Huffman table, the previous FSE tables) is reset at every frame start.</para>
/// </remarks>
internal sealed partial class ZstdDecoder
{
    /// <summary>The format's absolute block size limit (128 KiB).</summary>
    public const int BlockSizeMax = 128 * 1024;

    /// <summary>Bytes a wild copy may run past what it was asked to copy.</summary>
    private const int WildCopySlack = 32;

    [ThreadStatic]
    private static ZstdDecoder? s_cached;

    private readonly byte[] _literals = new byte[BlockSizeMax + WildCopySlack];
    private readonly ushort[] _huffmanTable = new ushort[ZstdHuffman.TableSize];
    private readonly ZstdSeqEntry[] _literalLengthOwn = new ZstdSeqEntry[1 << ZstdFse.MaxLengthLog];
    private readonly ZstdSeqEntry[] _matchLengthOwn = new ZstdSeqEntry[1 << ZstdFse.MaxLengthLog];
    private readonly ZstdSeqEntry[] _offsetOwn = new ZstdSeqEntry[1 << ZstdFse.MaxOffsetLog];

    private int _huffmanMaxBits;
    private ZstdSeqEntry[]? _literalLengthTable;
    private ZstdSeqEntry[]? _matchLengthTable;
    private ZstdSeqEntry[]? _offsetTable;
    private int _literalLengthLog;
    private int _matchLengthLog;
    private int _offsetLog;
    private uint _rep0;
    private uint _rep1;
    private uint _rep2;

    /// <summary>Huffman weights being read (255 explicit plus the implied last one).</summary>
    public byte[] Weights { get; } = new byte[256];

    /// <summary>Normalized counts of the FSE table description being read.</summary>
    public short[] Normalized { get; } = new short[256];

    /// <summary>FSE table for Huffman weights (accuracy log at most 6).</summary>
    public ZstdSeqEntry[] WeightTable { get; } = new ZstdSeqEntry[1 << ZstdFse.MaxWeightLog];

    /// <summary>Per-symbol counters used while building an FSE table.</summary>
    public ushort[] Next { get; } = new ushort[256];

    /// <summary>This thread's decoder.</summary>
    public static ZstdDecoder ForCurrentThread() => s_cached ??= new ZstdDecoder();

    /// <summary>Decodes every frame of <paramref name="source"/> into <paramref name="destination"/>; returns the bytes written.</summary>
    public int DecompressFrames(ReadOnlySpan<byte> source, Span<byte> destination)
    {
        int position = 0;
        int written = 0;
        while (position < source.Length)
        {
            if (source.Length - position < 4)
            {
                ZstdErrors.Truncated("a frame's magic number");
            }

            uint magic = BinaryPrimitives.ReadUInt32LittleEndian(source.Slice(position));
            if ((magic & 0xFFFFFFF0) == ZstdFrameHeader.SkippableMagic)
            {
                position = SkipSkippableFrame(source, position);
                continue;
            }

            if (magic != ZstdFrameHeader.Magic)
            {
                ThrowBadMagic(magic, position);
            }

            position += 4;
            written = DecodeFrame(source, ref position, destination, written);
        }

        return written;
    }

    /// <summary>The position just after the skippable frame at <paramref name="position"/>.</summary>
    public static int SkipSkippableFrame(ReadOnlySpan<byte> source, int position)
    {
        if (source.Length - position < 8)
        {
            ZstdErrors.Truncated("a skippable frame header");
        }

        uint size = BinaryPrimitives.ReadUInt32LittleEndian(source.Slice(position + 4));
        if (size > (uint)(source.Length - position - 8))
        {
            ZstdErrors.Truncated("a skippable frame");
        }

        return position + 8 + (int)size;
    }

    /// <summary>Throws the message for a frame that does not start with the Zstandard magic number.</summary>
    public static void ThrowBadMagic(uint magic, int position)
    {
        string at = ZstdErrors.Invariant(position);
        if (ZstdFrameHeader.IsLegacyMagic(magic))
        {
            ZstdErrors.Unsupported("legacy Zstandard format v0." + ZstdErrors.Invariant(magic == 0xFD2FB51E ? 1 : (int)(magic - 0xFD2FB520))
                + " (magic 0x" + magic.ToString("X8", System.Globalization.CultureInfo.InvariantCulture) + " at byte " + at
                + "); only the RFC 8878 format (zstd 1.0 and later) is supported");
        }

        if (magic == ZstdFrameHeader.DictionaryMagic)
        {
            ZstdErrors.Unsupported("the input at byte " + at + " is a Zstandard dictionary, not a frame; dictionaries are not supported");
        }

        ZstdErrors.Corrupt("no Zstandard frame at byte " + at + " (magic 0x"
            + magic.ToString("X8", System.Globalization.CultureInfo.InvariantCulture) + ", expected 0xFD2FB528)");
    }

    private int DecodeFrame(ReadOnlySpan<byte> source, ref int position, Span<byte> destination, int frameStart)
    {
        var header = ZstdFrameHeader.Parse(source.Slice(position));
        if (header.DictionaryId != 0)
        {
            ZstdErrors.Unsupported("the frame needs dictionary id " + ZstdErrors.Invariant(header.DictionaryId)
                + "; dictionaries are not supported (compress without a dictionary)");
        }

        if (header.ContentSize > destination.Length - frameStart)
        {
            ZstdErrors.DestinationTooSmall(destination.Length);
        }

        position += header.Size;
        int blockSizeMax = header.BlockSizeMax;
        ResetFrameState();
        int op = frameStart;
        while (true)
        {
            if (source.Length - position < 3)
            {
                ZstdErrors.Truncated("a block header");
            }

            int blockHeader = source[position] | (source[position + 1] << 8) | (source[position + 2] << 16);
            position += 3;
            bool last = (blockHeader & 1) != 0;
            int blockType = (blockHeader >> 1) & 3;
            int blockSize = blockHeader >> 3;
            if (blockSize > blockSizeMax)
            {
                ZstdErrors.Corrupt("a block of " + ZstdErrors.Invariant(blockSize) + " bytes exceeds the frame's block size limit of "
                    + ZstdErrors.Invariant(blockSizeMax));
            }

            switch (blockType)
            {
                case 0: // Raw_Block
                    if (source.Length - position < blockSize)
                    {
                        ZstdErrors.Truncated("a raw block");
                    }

                    if (destination.Length - op < blockSize)
                    {
                        ZstdErrors.DestinationTooSmall(destination.Length);
                    }

                    source.Slice(position, blockSize).CopyTo(destination.Slice(op));
                    position += blockSize;
                    op += blockSize;
                    break;
                case 1: // RLE_Block
                    if (source.Length - position < 1)
                    {
                        ZstdErrors.Truncated("an RLE block");
                    }

                    if (destination.Length - op < blockSize)
                    {
                        ZstdErrors.DestinationTooSmall(destination.Length);
                    }

                    destination.Slice(op, blockSize).Fill(source[position]);
                    position += 1;
                    op += blockSize;
                    break;
                case 2: // Compressed_Block
                    if (source.Length - position < blockSize)
                    {
                        ZstdErrors.Truncated("a compressed block");
                    }

                    int blockStart = op;
                    op = DecodeCompressedBlock(source.Slice(position, blockSize), destination, frameStart, op, blockSizeMax);
                    if (op - blockStart > blockSizeMax)
                    {
                        ZstdErrors.Corrupt("a block decompresses to more than the frame's block size limit of " + ZstdErrors.Invariant(blockSizeMax));
                    }

                    position += blockSize;
                    break;
                default:
                    ZstdErrors.Corrupt("a block has the reserved block type 3");
                    break;
            }

            if (last)
            {
                break;
            }
        }

        int produced = op - frameStart;
        if (header.ContentSize >= 0 && produced != header.ContentSize)
        {
            ZstdErrors.Corrupt("the frame header announces " + ZstdErrors.Invariant(header.ContentSize) + " bytes but its blocks hold "
                + ZstdErrors.Invariant(produced));
        }

        if (header.HasChecksum)
        {
            if (source.Length - position < 4)
            {
                ZstdErrors.Truncated("a frame's content checksum");
            }

            uint expected = BinaryPrimitives.ReadUInt32LittleEndian(source.Slice(position));
            uint actual = (uint)XxHash64.Hash(destination.Slice(frameStart, produced));
            if (expected != actual)
            {
                throw new InvalidDataException(string.Create(System.Globalization.CultureInfo.InvariantCulture,
                    $"Zstandard data is corrupt: content checksum mismatch (the frame stores 0x{expected:X8}, the decompressed data hashes to 0x{actual:X8})."));
            }

            position += 4;
        }

        return op;
    }

    private void ResetFrameState()
    {
        _huffmanMaxBits = 0;
        _literalLengthTable = null;
        _matchLengthTable = null;
        _offsetTable = null;
        _rep0 = 1;
        _rep1 = 4;
        _rep2 = 8;
    }

    /// <summary>Decodes one compressed block (§3.1.1.3) into <paramref name="destination"/> at <paramref name="op"/>; returns the new output position.</summary>
    private int DecodeCompressedBlock(ReadOnlySpan<byte> block, Span<byte> destination, int frameStart, int op, int blockSizeMax)
    {
        int literalsSize = DecodeLiterals(block, blockSizeMax, out ReadOnlySpan<byte> literals, out int literalCount);
        ReadOnlySpan<byte> section = block.Slice(literalsSize);
        if (section.IsEmpty)
        {
            ZstdErrors.Truncated("a sequences section header");
        }

        int sequenceCount = section[0];
        int position = 1;
        if (sequenceCount >= 128)
        {
            if (sequenceCount == 255)
            {
                if (section.Length < 3)
                {
                    ZstdErrors.Truncated("a sequences section header");
                }

                sequenceCount = section[1] + (section[2] << 8) + 0x7F00;
                position = 3;
            }
            else
            {
                if (section.Length < 2)
                {
                    ZstdErrors.Truncated("a sequences section header");
                }

                sequenceCount = ((sequenceCount - 128) << 8) + section[1];
                position = 2;
            }
        }

        if (sequenceCount == 0)
        {
            if (position != section.Length)
            {
                ZstdErrors.Corrupt("bytes follow an empty sequences section");
            }

            if (destination.Length - op < literalCount)
            {
                ZstdErrors.DestinationTooSmall(destination.Length);
            }

            literals.Slice(0, literalCount).CopyTo(destination.Slice(op));
            return op + literalCount;
        }

        if (section.Length <= position)
        {
            ZstdErrors.Truncated("a sequences section header");
        }

        int modes = section[position++];
        if ((modes & 3) != 0)
        {
            ZstdErrors.Corrupt("the sequences section's reserved mode bits are set");
        }

        position += ReadSequenceTable((modes >> 6) & 3, ZstdFse.SymbolKind.LiteralLength, section.Slice(position), _literalLengthOwn, ref _literalLengthTable, ref _literalLengthLog);
        position += ReadSequenceTable((modes >> 4) & 3, ZstdFse.SymbolKind.Offset, section.Slice(position), _offsetOwn, ref _offsetTable, ref _offsetLog);
        position += ReadSequenceTable((modes >> 2) & 3, ZstdFse.SymbolKind.MatchLength, section.Slice(position), _matchLengthOwn, ref _matchLengthTable, ref _matchLengthLog);

        return ExecuteSequences(section.Slice(position), sequenceCount, literals, literalCount, destination, frameStart, op);
    }

    /// <summary>Reads one symbol type's compression mode data (§3.1.1.3.2.1); returns the bytes used.</summary>
    private int ReadSequenceTable(int mode, ZstdFse.SymbolKind kind, ReadOnlySpan<byte> source, ZstdSeqEntry[] own, ref ZstdSeqEntry[]? current, ref int accuracyLog)
    {
        switch (mode)
        {
            case 0: // Predefined_Mode
                (current, accuracyLog) = kind switch
                {
                    ZstdFse.SymbolKind.LiteralLength => (ZstdFse.PredefinedLiteralLengths, 6),
                    ZstdFse.SymbolKind.MatchLength => (ZstdFse.PredefinedMatchLengths, 6),
                    _ => (ZstdFse.PredefinedOffsets, 5),
                };
                return 0;
            case 1: // RLE_Mode
                if (source.IsEmpty)
                {
                    ZstdErrors.Truncated("an RLE sequence table");
                }

                int symbol = source[0];
                if (symbol > ZstdFse.MaxSymbol(kind))
                {
                    ZstdErrors.Corrupt("an RLE sequence table's code " + ZstdErrors.Invariant(symbol) + " is out of range");
                }

                ZstdFse.SetRle(ref own[0], symbol, kind);
                current = own;
                accuracyLog = 0;
                return 1;
            case 2: // FSE_Compressed_Mode
                int maxLog = kind == ZstdFse.SymbolKind.Offset ? ZstdFse.MaxOffsetLog : ZstdFse.MaxLengthLog;
                int used = ZstdFse.ReadNormalizedCounts(source, Normalized, ZstdFse.MaxSymbol(kind), maxLog, out int symbolCount, out int log);
                ZstdFse.BuildTable(Normalized, symbolCount, log, kind, own, Next);
                current = own;
                accuracyLog = log;
                return used;
            default: // Repeat_Mode
                if (current is null)
                {
                    ZstdErrors.Corrupt("a sequence table repeats a previous table but the frame has none yet");
                }

                return 0;
        }
    }

    /// <summary>
    /// Decodes the literals section (§3.1.1.3.1). <paramref name="literals"/> is readable past <paramref name="literalCount"/>
    /// (to the end of the block or of the literal buffer), which the wild copies rely on; returns the section's size.
    /// </summary>
    private int DecodeLiterals(ReadOnlySpan<byte> block, int blockSizeMax, out ReadOnlySpan<byte> literals, out int literalCount)
    {
        if (block.IsEmpty)
        {
            ZstdErrors.Truncated("a literals section header");
        }

        int b0 = block[0];
        int type = b0 & 3;
        int sizeFormat = (b0 >> 2) & 3;
        int headerSize;
        int regenerated;
        if (type <= 1)
        {
            headerSize = sizeFormat switch { 1 => 2, 3 => 3, _ => 1 };
            if (block.Length < headerSize)
            {
                ZstdErrors.Truncated("a literals section header");
            }

            regenerated = headerSize switch
            {
                1 => b0 >> 3,
                2 => (b0 >> 4) + (block[1] << 4),
                _ => (b0 >> 4) + (block[1] << 4) + (block[2] << 12),
            };
            if (regenerated > blockSizeMax)
            {
                ZstdErrors.Corrupt("a literals section of " + ZstdErrors.Invariant(regenerated) + " bytes exceeds the block size limit");
            }

            literalCount = regenerated;
            if (type == 0)
            {
                if (block.Length - headerSize < regenerated)
                {
                    ZstdErrors.Truncated("raw literals");
                }

                literals = block.Slice(headerSize);
                return headerSize + regenerated;
            }

            if (block.Length <= headerSize)
            {
                ZstdErrors.Truncated("RLE literals");
            }

            _literals.AsSpan(0, regenerated).Fill(block[headerSize]);
            literals = _literals;
            return headerSize + 1;
        }

        (headerSize, int bits, bool fourStreams) = sizeFormat switch
        {
            0 => (3, 10, false),
            1 => (3, 10, true),
            2 => (4, 14, true),
            _ => (5, 18, true),
        };
        if (block.Length < headerSize)
        {
            ZstdErrors.Truncated("a literals section header");
        }

        ulong value = 0;
        for (int i = headerSize - 1; i >= 0; i--)
        {
            value = (value << 8) | block[i];
        }

        ulong mask = (1UL << bits) - 1;
        regenerated = (int)((value >> 4) & mask);
        int compressed = (int)((value >> (4 + bits)) & mask);
        if (regenerated > blockSizeMax)
        {
            ZstdErrors.Corrupt("a literals section of " + ZstdErrors.Invariant(regenerated) + " bytes exceeds the block size limit");
        }

        if (block.Length - headerSize < compressed)
        {
            ZstdErrors.Truncated("Huffman-compressed literals");
        }

        ReadOnlySpan<byte> data = block.Slice(headerSize, compressed);
        if (type == 2)
        {
            _huffmanMaxBits = 0;
            int used = ZstdHuffman.ReadTable(data, this, _huffmanTable, out int maxBits);
            _huffmanMaxBits = maxBits;
            data = data.Slice(used);
        }
        else if (_huffmanMaxBits == 0)
        {
            ZstdErrors.Corrupt("a treeless literals block has no previous Huffman table in the frame");
        }

        Span<byte> output = _literals.AsSpan(0, regenerated);
        if (fourStreams)
        {
            ZstdHuffman.DecodeFourStreams(data, output, _huffmanTable, _huffmanMaxBits);
        }
        else
        {
            ZstdHuffman.DecodeOneStream(data, output, _huffmanTable, _huffmanMaxBits);
        }

        literals = _literals;
        literalCount = regenerated;
        return headerSize + compressed;
    }
}
