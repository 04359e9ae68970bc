using System.Buffers.Binary;
using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace ForgetPredict.Data.Compression;

/// <summary>Huffman tree descriptions and Huffman-coded literal streams (RFC 8878 §4.2).</summary>
/// <remarks>
/// A decoding table has <c>2^maxBits</c> entries (at most 4096), each <c>symbol &lt;&lt; 8 | codeLength</c>; a symbol is
/// decoded by looking up the next <c>maxBits</c> bits of the stream.
/// </remarks>
internal static class ZstdHuffman
{
    /// <summary>Longest code accepted. RFC 8878 §4.2.1 caps codes at 11 bits; the reference decoder (libzstd) accepts
    /// 12, and so do we, so any stream libzstd reads is read here too. 4 codes of 12 bits after a reload still fit
    /// the 64-bit container (7 + 48 bits).</summary>
    public const int MaxBits = 12;

    /// <summary>Entries in a decoding table of <see cref="MaxBits"/>.</summary>
    public const int TableSize = 1 << MaxBits;

    /// <summary>
    /// Reads a Huffman tree description from the start of <paramref name="source"/> into <paramref name="table"/>;
    /// returns the bytes used and the tree depth in <paramref name="maxBits"/>.
    /// </summary>
    public static int ReadTable(ReadOnlySpan<byte> source, ZstdDecoder scratch, ushort[] table, out int maxBits)
    {
        if (source.IsEmpty)
        {
            ZstdErrors.Truncated("a Huffman tree description");
        }

        Span<byte> weights = scratch.Weights;
        int header = source[0];
        int weightCount;
        int used;
        if (header >= 128)
        {
            weightCount = header - 127;
            int bytes = (weightCount + 1) >> 1;
            if (1 + bytes > source.Length)
            {
                ZstdErrors.Truncated("a Huffman tree description");
            }

            for (int i = 0; i < weightCount; i++)
            {
                int b = source[1 + (i >> 1)];
                weights[i] = (byte)((i & 1) == 0 ? b >> 4 : b & 15);
            }

            used = 1 + bytes;
        }
        else
        {
            if (1 + header > source.Length)
            {
                ZstdErrors.Truncated("a Huffman tree description");
            }

            weightCount = DecodeWeights(source.Slice(1, header), scratch, weights);
            used = 1 + header;
        }

        Span<int> rankCount = stackalloc int[MaxBits + 2];
        int sum = 0;
        for (int i = 0; i < weightCount; i++)
        {
            int w = weights[i];
            if (w > MaxBits)
            {
                ZstdErrors.Corrupt("a Huffman weight exceeds " + ZstdErrors.Invariant(MaxBits));
            }

            rankCount[w]++;
            sum += (1 << w) >> 1;
        }

        if (sum == 0)
        {
            ZstdErrors.Corrupt("a Huffman tree has no symbol with a non-zero weight");
        }

        maxBits = BitOperations.Log2((uint)sum) + 1;
        if (maxBits > MaxBits)
        {
            ZstdErrors.Corrupt("a Huffman tree is deeper than " + ZstdErrors.Invariant(MaxBits) + " bits");
        }

        int rest = (1 << maxBits) - sum;
        if ((rest & (rest - 1)) != 0)
        {
            ZstdErrors.Corrupt("a Huffman tree's weights do not complete to a power of two");
        }

        int lastWeight = BitOperations.Log2((uint)rest) + 1;
        weights[weightCount] = (byte)lastWeight;
        rankCount[lastWeight]++;
        int symbolCount = weightCount + 1;

        // Codes go to weights in increasing order, symbols in natural order within a weight (§4.2.1.4).
        Span<int> rankStart = stackalloc int[MaxBits + 2];
        int next = 0;
        for (int w = 1; w <= maxBits; w++)
        {
            rankStart[w] = next;
            next += rankCount[w] << (w - 1);
        }

        Span<ushort> entries = table.AsSpan(0, 1 << maxBits);
        for (int symbol = 0; symbol < symbolCount; symbol++)
        {
            int w = weights[symbol];
            if (w == 0)
            {
                continue;
            }

            int length = 1 << (w - 1);
            ushort entry = (ushort)((symbol << 8) | (maxBits + 1 - w));
            entries.Slice(rankStart[w], length).Fill(entry);
            rankStart[w] += length;
        }

        return used;
    }

    /// <summary>Decodes one Huffman stream of <paramref name="stream"/> into all of <paramref name="destination"/>.</summary>
    public static void DecodeOneStream(ReadOnlySpan<byte> stream, Span<byte> destination, ushort[] table, int maxBits)
    {
        var reader = new ZstdBitReader(stream);
        ref ushort entries = ref MemoryMarshal.GetArrayDataReference(table);
        ref byte output = ref MemoryMarshal.GetReference(destination);
        DecodeTail(ref reader, ref entries, 64 - maxBits, ref output, 0, destination.Length);
    }

    /// <summary>Decodes the jump table and four Huffman streams of <paramref name="source"/> into <paramref name="destination"/>.</summary>
    public static void DecodeFourStreams(ReadOnlySpan<byte> source, Span<byte> destination, ushort[] table, int maxBits)
    {
        if (source.Length < 10)
        {
            ZstdErrors.Corrupt("four Huffman streams need at least 10 bytes");
        }

        int size1 = BinaryPrimitives.ReadUInt16LittleEndian(source);
        int size2 = BinaryPrimitives.ReadUInt16LittleEndian(source.Slice(2));
        int size3 = BinaryPrimitives.ReadUInt16LittleEndian(source.Slice(4));
        int size4 = source.Length - 6 - size1 - size2 - size3;
        if (size4 < 1)
        {
            ZstdErrors.Corrupt("the Huffman jump table's stream sizes exceed the literals section");
        }

        int segment = (destination.Length + 3) >> 2;
        int lastSegment = destination.Length - (3 * segment);
        if (lastSegment < 0)
        {
            ZstdErrors.Corrupt("too few literals for four Huffman streams");
        }

        var r0 = new ZstdBitReader(source.Slice(6, size1));
        var r1 = new ZstdBitReader(source.Slice(6 + size1, size2));
        var r2 = new ZstdBitReader(source.Slice(6 + size1 + size2, size3));
        var r3 = new ZstdBitReader(source.Slice(6 + size1 + size2 + size3, size4));

        ref ushort entries = ref MemoryMarshal.GetArrayDataReference(table);
        ref byte o0 = ref MemoryMarshal.GetReference(destination);
        ref byte o1 = ref Unsafe.Add(ref o0, segment);
        ref byte o2 = ref Unsafe.Add(ref o1, segment);
        ref byte o3 = ref Unsafe.Add(ref o2, segment);
        int shift = 64 - maxBits;

        // Fast loop: all four streams can reload 8 bytes, and the shortest (last) segment has room for 4 more
        // symbols, so every segment does. 4 symbols of at most 12 bits after a reload (<= 7 bits used) fit in 64 bits.
        int done = 0;
        int fastEnd = lastSegment - 4;
        while (done <= fastEnd
            && (r0.FastReloadMargin | r1.FastReloadMargin | r2.FastReloadMargin | r3.FastReloadMargin) >= 0)
        {
            r0.ReloadFast();
            r1.ReloadFast();
            r2.ReloadFast();
            r3.ReloadFast();
            Unsafe.Add(ref o0, done) = r0.DecodeHuffman(ref entries, shift);
            Unsafe.Add(ref o1, done) = r1.DecodeHuffman(ref entries, shift);
            Unsafe.Add(ref o2, done) = r2.DecodeHuffman(ref entries, shift);
            Unsafe.Add(ref o3, done) = r3.DecodeHuffman(ref entries, shift);
            Unsafe.Add(ref o0, done + 1) = r0.DecodeHuffman(ref entries, shift);
            Unsafe.Add(ref o1, done + 1) = r1.DecodeHuffman(ref entries, shift);
            Unsafe.Add(ref o2, done + 1) = r2.DecodeHuffman(ref entries, shift);
            Unsafe.Add(ref o3, done + 1) = r3.DecodeHuffman(ref entries, shift);
            Unsafe.Add(ref o0, done + 2) = r0.DecodeHuffman(ref entries, shift);
            Unsafe.Add(ref o1, done + 2) = r1.DecodeHuffman(ref entries, shift);
            Unsafe.Add(ref o2, done + 2) = r2.DecodeHuffman(ref entries, shift);
            Unsafe.Add(ref o3, done + 2) = r3.DecodeHuffman(ref entries, shift);
            Unsafe.Add(ref o0, done + 3) = r0.DecodeHuffman(ref entries, shift);
            Unsafe.Add(ref o1, done + 3) = r1.DecodeHuffman(ref entries, shift);
            Unsafe.Add(ref o2, done + 3) = r2.DecodeHuffman(ref entries, shift);
            Unsafe.Add(ref o3, done + 3) = r3.DecodeHuffman(ref entries, shift);
            done += 4;
        }

        DecodeTail(ref r0, ref entries, shift, ref o0, done, segment);
        DecodeTail(ref r1, ref entries, shift, ref o1, done, segment);
        DecodeTail(ref r2, ref entries, shift, ref o2, done, segment);
        DecodeTail(ref r3, ref entries, shift, ref o3, done, lastSegment);
    }

    /// <summary>Decodes symbols <c>[start, end)</c> of one segment from <paramref name="reader"/>, then checks the stream is used up exactly.</summary>
    private static void DecodeTail(ref ZstdBitReader reader, ref ushort entries, int shift, ref byte output, int start, int end)
    {
        int i = start;
        while (i + 4 <= end && reader.FastReloadMargin >= 0)
        {
            reader.ReloadFast();
            Unsafe.Add(ref output, i) = reader.DecodeHuffman(ref entries, shift);
            Unsafe.Add(ref output, i + 1) = reader.DecodeHuffman(ref entries, shift);
            Unsafe.Add(ref output, i + 2) = reader.DecodeHuffman(ref entries, shift);
            Unsafe.Add(ref output, i + 3) = reader.DecodeHuffman(ref entries, shift);
            i += 4;
        }

        while (i < end)
        {
            if (reader.Reload() == ZstdBitReader.Overflow)
            {
                ZstdErrors.Corrupt("a Huffman stream holds fewer symbols than its literals");
            }

            Unsafe.Add(ref output, i) = reader.DecodeHuffman(ref entries, shift);
            i++;
        }

        if (reader.Reload() != ZstdBitReader.Completed)
        {
            ZstdErrors.Corrupt("a Huffman stream is not consumed exactly by its literals");
        }
    }

    /// <summary>Decodes FSE-compressed Huffman weights (two interleaved states, §4.2.1.2); returns how many.</summary>
    private static int DecodeWeights(ReadOnlySpan<byte> source, ZstdDecoder scratch, Span<byte> weights)
    {
        Span<short> normalized = scratch.Normalized;
        int used = ZstdFse.ReadNormalizedCounts(source, normalized, 255, ZstdFse.MaxWeightLog, out int symbolCount, out int accuracyLog);
        Span<ZstdSeqEntry> table = scratch.WeightTable;
        ZstdFse.BuildTable(normalized, symbolCount, accuracyLog, ZstdFse.SymbolKind.Weight, table, scratch.Next);
        ref ZstdSeqEntry cells = ref MemoryMarshal.GetReference(table);

        var reader = new ZstdBitReader(source.Slice(used));
        int state1 = (int)reader.ReadBits(accuracyLog);
        int state2 = (int)reader.ReadBits(accuracyLog);
        reader.Reload();
        const int MaxWeights = 255;
        int count = 0;
        while (true)
        {
            if (count > MaxWeights - 2)
            {
                ZstdErrors.Corrupt("a Huffman tree description has more than 255 weights");
            }

            ref ZstdSeqEntry e1 = ref Unsafe.Add(ref cells, state1);
            weights[count++] = (byte)e1.BaseValue;
            state1 = e1.NewState + (int)reader.ReadBits(e1.NbBits);
            if (reader.Reload() == ZstdBitReader.Overflow)
            {
                weights[count++] = (byte)Unsafe.Add(ref cells, state2).BaseValue;
                break;
            }

            if (count > MaxWeights - 2)
            {
                ZstdErrors.Corrupt("a Huffman tree description has more than 255 weights");
            }

            ref ZstdSeqEntry e2 = ref Unsafe.Add(ref cells, state2);
            weights[count++] = (byte)e2.BaseValue;
            state2 = e2.NewState + (int)reader.ReadBits(e2.NbBits);
            if (reader.Reload() == ZstdBitReader.Overflow)
            {
                weights[count++] = (byte)Unsafe.Add(ref cells, state1).BaseValue;
                break;
            }
        }

        return count;
    }
}
