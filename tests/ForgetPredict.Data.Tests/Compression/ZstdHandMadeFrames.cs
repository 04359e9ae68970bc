using System.Buffers.Binary;

namespace ForgetPredict.Data.Tests.Compression;

/// <summary>Builds small Zstandard frames byte by byte (RFC 8878 §3.1.1), for cases the reference encoder never writes.</summary>
internal static class ZstdHandMadeFrames
{
    /// <summary>Block types (§3.1.1.2.2).</summary>
    public const int Raw = 0;

    /// <summary>RLE block type.</summary>
    public const int Rle = 1;

    /// <summary>Compressed block type.</summary>
    public const int Compressed = 2;

    /// <summary>The frame magic number, little-endian.</summary>
    public static readonly byte[] Magic = [0x28, 0xB5, 0x2F, 0xFD];

    /// <summary>
    /// A frame header: magic, descriptor, optional window descriptor, dictionary id and content size.
    /// <paramref name="contentSizeBytes"/> is 0 (absent; 1 in single-segment mode), 1, 2 (value - 256 stored), 4 or 8.
    /// </summary>
    public static byte[] Header(long contentSize, int contentSizeBytes, bool singleSegment, bool checksum, int dictionaryIdBytes = 0, uint dictionaryId = 0, byte windowDescriptor = 0x58)
    {
        int flag = contentSizeBytes switch { 0 or 1 => 0, 2 => 1, 4 => 2, _ => 3 };
        if (contentSizeBytes == 1 && !singleSegment)
        {
            throw new ArgumentException("a 1-byte content size needs single-segment mode", nameof(contentSizeBytes));
        }

        int didFlag = dictionaryIdBytes switch { 0 => 0, 1 => 1, 2 => 2, _ => 3 };
        var bytes = new List<byte>(Magic)
        {
            (byte)((flag << 6) | (singleSegment ? 0x20 : 0) | (checksum ? 0x04 : 0) | didFlag),
        };
        if (!singleSegment)
        {
            bytes.Add(windowDescriptor);
        }

        for (int i = 0; i < dictionaryIdBytes; i++)
        {
            bytes.Add((byte)(dictionaryId >> (8 * i)));
        }

        long stored = contentSizeBytes == 2 ? contentSize - 256 : contentSize;
        for (int i = 0; i < contentSizeBytes; i++)
        {
            bytes.Add((byte)(stored >> (8 * i)));
        }

        return [.. bytes];
    }

    /// <summary>A 3-byte block header.</summary>
    public static byte[] BlockHeader(int type, int size, bool last)
    {
        int value = (size << 3) | (type << 1) | (last ? 1 : 0);
        return [(byte)value, (byte)(value >> 8), (byte)(value >> 16)];
    }

    /// <summary>The 4-byte content checksum of <paramref name="content"/>.</summary>
    public static byte[] Checksum(ReadOnlySpan<byte> content)
    {
        var bytes = new byte[4];
        BinaryPrimitives.WriteUInt32LittleEndian(bytes, (uint)System.IO.Hashing.XxHash64.HashToUInt64(content));
        return bytes;
    }

    /// <summary>A single-segment frame holding <paramref name="content"/> in one raw block.</summary>
    public static byte[] RawBlockFrame(byte[] content, bool withChecksum) =>
    [
        .. Header(content.Length, content.Length < 256 ? 1 : 4, singleSegment: true, withChecksum),
        .. BlockHeader(Raw, content.Length, last: true),
        .. content,
        .. withChecksum ? Checksum(content) : [],
    ];

    /// <summary>A single-segment frame holding <paramref name="count"/> copies of <paramref name="value"/> in one RLE block.</summary>
    public static byte[] RleBlockFrame(byte value, int count, bool withChecksum)
    {
        byte[] content = Enumerable.Repeat(value, count).ToArray();
        return
        [
            .. Header(count, count < 256 ? 1 : 4, singleSegment: true, withChecksum),
            .. BlockHeader(Rle, count, last: true),
            value,
            .. withChecksum ? Checksum(content) : [],
        ];
    }

    /// <summary>
    /// A compressed block whose literals are one Huffman stream (size format 00) and which has no sequences.
    /// <paramref name="treeDescription"/> is empty for a treeless block (literals type 3), which reuses the previous tree.
    /// </summary>
    public static byte[] HuffmanLiteralsBlock(byte[] treeDescription, byte[] stream, int literalCount, bool last)
    {
        int type = treeDescription.Length == 0 ? 3 : 2;
        int compressedSize = treeDescription.Length + stream.Length;
        int header = type | (literalCount << 4) | (compressedSize << 14);
        byte[] content = [(byte)header, (byte)(header >> 8), (byte)(header >> 16), .. treeDescription, .. stream, 0];
        return [.. BlockHeader(Compressed, content.Length, last), .. content];
    }

    /// <summary>A Huffman tree description with direct (4-bit) weights for symbols 0 to <c>weights.Length - 1</c>.</summary>
    public static byte[] DirectWeights(params byte[] weights)
    {
        var bytes = new byte[1 + ((weights.Length + 1) / 2)];
        bytes[0] = (byte)(127 + weights.Length);
        for (int i = 0; i < weights.Length; i++)
        {
            bytes[1 + (i / 2)] |= (byte)(i % 2 == 0 ? weights[i] << 4 : weights[i]);
        }

        return bytes;
    }

    /// <summary>
    /// A compressed block with raw literals and one sequence whose three codes use RLE mode (accuracy log 0, so the
    /// bit stream carries only the extra bits): <paramref name="offsetExtra"/> is the offset code's extra-bit value.
    /// </summary>
    public static byte[] OneSequenceBlock(string literals, int literalLengthCode, int offsetCode, int offsetExtra, int matchLengthCode, bool last)
    {
        var content = new List<byte> { (byte)(literals.Length << 3) }; // raw literals, 1-byte header (length < 32)
        content.AddRange(System.Text.Encoding.ASCII.GetBytes(literals));
        content.Add(1); // one sequence
        content.Add((1 << 6) | (1 << 4) | (1 << 2)); // RLE mode for literal lengths, offsets and match lengths
        content.Add((byte)literalLengthCode);
        content.Add((byte)offsetCode);
        content.Add((byte)matchLengthCode);
        content.Add((byte)((1 << offsetCode) | offsetExtra)); // extra bits under the end marker
        return [.. BlockHeader(Compressed, content.Count, last), .. content];
    }
}
