using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace ForgetPredict.Data.Compression;

// Sequence decoding and execution (RFC 8878 §3.1.1.3.2, §3.1.1.4), the hot loop of the decoder.
//
// Each sequence is decoded and executed at once, straight into the caller's destination: matches read back from it.
// The fast path copies in 16-byte chunks ("wild copies") that may run up to 31 bytes past the end of what they copy;
// it is taken only when those bytes are inside the destination (they lie beyond the current output position, so they
// are overwritten later) and inside the literal source. Everything else goes through an exact, bounds-checked path.
internal sealed partial class ZstdDecoder
{
    private int ExecuteSequences(ReadOnlySpan<byte> bitstream, int sequenceCount, ReadOnlySpan<byte> literals, int literalCount, Span<byte> destination, int frameStart, int op)
    {
        ZstdSeqEntry[] literalLengthTable = _literalLengthTable!;
        ZstdSeqEntry[] matchLengthTable = _matchLengthTable!;
        ZstdSeqEntry[] offsetTable = _offsetTable!;
        ref ZstdSeqEntry llCells = ref MemoryMarshal.GetArrayDataReference(literalLengthTable);
        ref ZstdSeqEntry mlCells = ref MemoryMarshal.GetArrayDataReference(matchLengthTable);
        ref ZstdSeqEntry ofCells = ref MemoryMarshal.GetArrayDataReference(offsetTable);

        var reader = new ZstdBitReader(bitstream);
        // States are always below the table size: initial states read accuracyLog bits, and every next state is
        // NewState + (NbBits bits), which the table construction keeps inside the table.
        int llState = (int)reader.ReadBits(_literalLengthLog);
        int ofState = (int)reader.ReadBits(_offsetLog);
        int mlState = (int)reader.ReadBits(_matchLengthLog);
        reader.Reload();

        ref byte dst = ref MemoryMarshal.GetReference(destination);
        uint destinationLength = (uint)destination.Length;
        ref byte lit = ref MemoryMarshal.GetReference(literals);
        uint literalsReadable = (uint)literals.Length;
        int literalPosition = 0;
        uint rep0 = _rep0;
        uint rep1 = _rep1;
        uint rep2 = _rep2;

        for (int remaining = sequenceCount; remaining > 0; remaining--)
        {
            ref ZstdSeqEntry of = ref Unsafe.Add(ref ofCells, ofState);
            ref ZstdSeqEntry ml = ref Unsafe.Add(ref mlCells, mlState);
            ref ZstdSeqEntry ll = ref Unsafe.Add(ref llCells, llState);
            int ofBits = of.ExtraBits;
            int mlBits = ml.ExtraBits;
            int llBits = ll.ExtraBits;

            // After a reload at most 7 bits are used; offset (<= 31) + match (<= 16) + literal (<= 16) extra bits plus
            // the three state updates (<= 26) fit in the remaining 57 only when the extra bits are <= 31.
            uint offsetValue = of.BaseValue + reader.ReadBits(ofBits);
            int matchLength = (int)(ml.BaseValue + reader.ReadBits(mlBits));
            if (ofBits + mlBits + llBits > 31)
            {
                reader.Reload();
            }

            int literalLength = (int)(ll.BaseValue + reader.ReadBits(llBits));
            if (remaining > 1)
            {
                llState = ll.NewState + (int)reader.ReadBits(ll.NbBits);
                mlState = ml.NewState + (int)reader.ReadBits(ml.NbBits);
                ofState = of.NewState + (int)reader.ReadBits(of.NbBits);
                reader.Reload();
            }

            // Repeat offsets (§3.1.1.5).
            uint offset;
            if (offsetValue > 3)
            {
                offset = offsetValue - 3;
                rep2 = rep1;
                rep1 = rep0;
                rep0 = offset;
            }
            else
            {
                int index = (int)offsetValue - (literalLength == 0 ? 0 : 1);
                if (index == 0)
                {
                    offset = rep0;
                }
                else if (index == 1)
                {
                    offset = rep1;
                    rep1 = rep0;
                    rep0 = offset;
                }
                else
                {
                    offset = index == 2 ? rep2 : rep0 - 1;
                    rep2 = rep1;
                    rep1 = rep0;
                    rep0 = offset;
                }
            }

            // Validation: literals available, output fits, offset inside the frame's output so far (and not 0).
            if ((uint)(literalPosition + literalLength) > (uint)literalCount)
            {
                ZstdErrors.Corrupt("a sequence uses more literals than the block holds");
            }

            uint sequenceEnd = (uint)(op + literalLength + matchLength);
            if (sequenceEnd > destinationLength)
            {
                ZstdErrors.DestinationTooSmall(destination.Length);
            }

            if (offset - 1 >= (uint)(op + literalLength - frameStart))
            {
                ThrowBadOffset(offset, op + literalLength - frameStart);
            }

            if (sequenceEnd + WildCopySlack <= destinationLength && (uint)(literalPosition + literalLength + 16) <= literalsReadable)
            {
                ref byte output = ref Unsafe.Add(ref dst, op);
                WildCopy16(ref output, ref Unsafe.Add(ref lit, literalPosition), literalLength);
                literalPosition += literalLength;
                output = ref Unsafe.Add(ref output, literalLength);
                if (offset >= 16)
                {
                    WildCopy16(ref output, ref Unsafe.Subtract(ref output, (nint)offset), matchLength);
                }
                else
                {
                    CopyShortOffset(ref output, (int)offset, matchLength);
                }

                op = (int)sequenceEnd;
            }
            else
            {
                literals.Slice(literalPosition, literalLength).CopyTo(destination.Slice(op));
                literalPosition += literalLength;
                op += literalLength;
                int from = op - (int)offset;
                if ((int)offset >= matchLength)
                {
                    destination.Slice(from, matchLength).CopyTo(destination.Slice(op));
                }
                else
                {
                    for (int i = 0; i < matchLength; i++)
                    {
                        destination[op + i] = destination[from + i];
                    }
                }

                op += matchLength;
            }
        }

        if (reader.Reload() != ZstdBitReader.Completed)
        {
            ZstdErrors.Corrupt("the sequences bit stream is not consumed exactly by its sequences");
        }

        _rep0 = rep0;
        _rep1 = rep1;
        _rep2 = rep2;

        int rest = literalCount - literalPosition;
        if (destination.Length - op < rest)
        {
            ZstdErrors.DestinationTooSmall(destination.Length);
        }

        literals.Slice(literalPosition, rest).CopyTo(destination.Slice(op));
        return op + rest;
    }

    private static void ThrowBadOffset(uint offset, int available) =>
        ZstdErrors.Corrupt("a match offset of " + ZstdErrors.Invariant(offset) + " reaches before the start of the frame ("
            + ZstdErrors.Invariant(available) + " bytes decoded; dictionaries are not supported)");

    /// <summary>Copies <paramref name="length"/> bytes in 16-byte chunks, writing and reading up to 15 (at least 16 in all) bytes more.
    /// Correct for overlapping ranges when the source starts at least 16 bytes before the destination.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void WildCopy16(ref byte destination, ref byte source, int length)
    {
        int copied = 0;
        do
        {
            Unsafe.WriteUnaligned(ref Unsafe.Add(ref destination, copied), Unsafe.ReadUnaligned<Vector128<byte>>(ref Unsafe.Add(ref source, copied)));
            copied += 16;
        }
        while (copied < length);
    }

    /// <summary>Copies a match whose offset is below 16: the first bytes one by one, until the copied part holds a whole
    /// number of periods of at least 16 bytes, then 16-byte chunks from that distance (the pattern repeats with it).
    /// Writes up to 15 bytes past the match.</summary>
    private static void CopyShortOffset(ref byte output, int offset, int length)
    {
        int distance = offset * ((16 + offset - 1) / offset); // multiple of offset, 16..30
        int head = Math.Min(length, distance);
        for (int i = 0; i < head; i++)
        {
            Unsafe.Add(ref output, i) = Unsafe.Add(ref output, i - offset);
        }

        if (length > distance)
        {
            ref byte rest = ref Unsafe.Add(ref output, distance);
            WildCopy16(ref rest, ref Unsafe.Subtract(ref rest, distance), length - distance);
        }
    }
}
