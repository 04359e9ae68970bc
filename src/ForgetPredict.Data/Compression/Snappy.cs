using System.Buffers.Binary;
using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace ForgetPredict.Data.Compression;

// Raw Snappy block format (no framing), as Parquet stores pages: a little-endian base-128 varint holding the
// uncompressed length, then a sequence of elements. The two low bits of each tag byte select the element:
//   00 literal      length-1 in the upper six bits (0..59), or 60..63 = 1..4 bytes of little-endian length-1 follow
//   01 copy         length 4..11 in bits 2..4, offset 0..2047 = bits 5..7 (high) and the next byte (low)
//   10 copy         length 1..64 in the upper six bits, 2-byte little-endian offset follows
//   11 copy         length 1..64 in the upper six bits, 4-byte little-endian offset follows
// A copy repeats bytes already produced, offset bytes back; offset < length repeats a pattern (run-length).
// The decoder checks every length and offset before touching memory; the fast paths read and write 8 or 16 bytes
// at a time only where the bounds checks leave enough slack, and fall back to exact copies near the ends.
// The compressor is the classic greedy hash-chain-free matcher over 64 KiB blocks with a 16K-entry hash table.

/// <summary>Snappy raw block compression and decompression over spans (the format Parquet uses for SNAPPY pages).</summary>
internal static class Snappy
{
    private const int BlockSize = 1 << 16;
    private const int HashBits = 14;
    private const int InputMargin = 15;

    /// <summary>Upper bound of the compressed size of <paramref name="sourceLength"/> bytes.</summary>
    public static int GetMaxCompressedLength(int sourceLength)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(sourceLength);
        return checked(32 + sourceLength + (sourceLength / 6));
    }

    /// <summary>Reads the uncompressed length from the varint preamble of <paramref name="source"/>.</summary>
    /// <exception cref="InvalidDataException">The preamble is truncated or longer than 32 bits.</exception>
    public static int GetUncompressedLength(ReadOnlySpan<byte> source) => ReadPreamble(source, out _);

    /// <summary>Decompresses the whole of <paramref name="source"/> into <paramref name="destination"/>; returns the number of bytes written.</summary>
    /// <exception cref="InvalidDataException">The input is malformed, or does not fit <paramref name="destination"/>.</exception>
    public static int Decompress(ReadOnlySpan<byte> source, Span<byte> destination)
    {
        var length = ReadPreamble(source, out var srcPos);
        if (length > destination.Length)
        {
            throw new InvalidDataException(FormattableString.Invariant($"Snappy data decompresses to {length} bytes but only {destination.Length} are expected."));
        }

        ref var src = ref MemoryMarshal.GetReference(source);
        ref var dst = ref MemoryMarshal.GetReference(destination);
        var srcLength = source.Length;
        var dstPos = 0;
        while (srcPos < srcLength)
        {
            uint tag = Unsafe.Add(ref src, srcPos++);
            int copyLength;
            int offset;
            switch (tag & 3)
            {
                case 0:
                {
                    var literalLength = (int)(tag >> 2) + 1;
                    if (literalLength > 60)
                    {
                        var extra = literalLength - 60;
                        if (srcLength - srcPos < extra)
                        {
                            throw Truncated();
                        }

                        uint value = 0;
                        for (var i = 0; i < extra; i++)
                        {
                            value |= (uint)Unsafe.Add(ref src, srcPos + i) << (8 * i);
                        }

                        srcPos += extra;
                        if (value >= int.MaxValue)
                        {
                            throw new InvalidDataException("Snappy literal length is out of range.");
                        }

                        literalLength = (int)value + 1;
                    }

                    if (literalLength > srcLength - srcPos)
                    {
                        throw Truncated();
                    }

                    if (literalLength > length - dstPos)
                    {
                        throw Overrun();
                    }

                    if (literalLength <= 16 && srcLength - srcPos >= 16 && length - dstPos >= 16)
                    {
                        // Short literal with slack on both sides: one 16-byte move, the excess is overwritten later.
                        Unsafe.WriteUnaligned(ref Unsafe.Add(ref dst, dstPos), Unsafe.ReadUnaligned<System.Runtime.Intrinsics.Vector128<byte>>(ref Unsafe.Add(ref src, srcPos)));
                    }
                    else
                    {
                        Unsafe.CopyBlockUnaligned(ref Unsafe.Add(ref dst, dstPos), ref Unsafe.Add(ref src, srcPos), (uint)literalLength);
                    }

                    srcPos += literalLength;
                    dstPos += literalLength;
                    continue;
                }

                case 1:
                    if (srcPos >= srcLength)
                    {
                        throw Truncated();
                    }

                    copyLength = (int)((tag >> 2) & 7) + 4;
                    offset = (int)((tag >> 5) << 8) | Unsafe.Add(ref src, srcPos);
                    srcPos++;
                    break;
                case 2:
                    if (srcLength - srcPos < 2)
                    {
                        throw Truncated();
                    }

                    copyLength = (int)(tag >> 2) + 1;
                    offset = Unsafe.ReadUnaligned<ushort>(ref Unsafe.Add(ref src, srcPos));
                    if (!BitConverter.IsLittleEndian)
                    {
                        offset = BinaryPrimitives.ReverseEndianness((ushort)offset);
                    }

                    srcPos += 2;
                    break;
                default:
                {
                    if (srcLength - srcPos < 4)
                    {
                        throw Truncated();
                    }

                    copyLength = (int)(tag >> 2) + 1;
                    var wide = BinaryPrimitives.ReadUInt32LittleEndian(source.Slice(srcPos, 4));
                    if (wide > int.MaxValue)
                    {
                        throw BadOffset();
                    }

                    offset = (int)wide;
                    srcPos += 4;
                    break;
                }
            }

            if (offset == 0 || offset > dstPos)
            {
                throw BadOffset();
            }

            if (copyLength > length - dstPos)
            {
                throw Overrun();
            }

            ref var to = ref Unsafe.Add(ref dst, dstPos);
            ref var from = ref Unsafe.Add(ref dst, dstPos - offset);
            if (offset >= 8 && length - dstPos >= copyLength + 8)
            {
                // Each 8-byte read starts at least 8 bytes behind the write cursor, so it only sees bytes already final.
                for (var i = 0; i < copyLength; i += 8)
                {
                    Unsafe.WriteUnaligned(ref Unsafe.Add(ref to, i), Unsafe.ReadUnaligned<ulong>(ref Unsafe.Add(ref from, i)));
                }
            }
            else
            {
                for (var i = 0; i < copyLength; i++)
                {
                    Unsafe.Add(ref to, i) = Unsafe.Add(ref from, i);
                }
            }

            dstPos += copyLength;
        }

        if (dstPos != length)
        {
            throw new InvalidDataException(FormattableString.Invariant($"Snappy data ends after {dstPos} of {length} bytes."));
        }

        return length;
    }

    /// <summary>Compresses <paramref name="source"/> into <paramref name="destination"/> (at least
    /// <see cref="GetMaxCompressedLength"/> bytes); returns the compressed size.</summary>
    /// <exception cref="ArgumentException"><paramref name="destination"/> is shorter than the worst case.</exception>
    public static int Compress(ReadOnlySpan<byte> source, Span<byte> destination)
    {
        if (destination.Length < GetMaxCompressedLength(source.Length))
        {
            throw new ArgumentException("Destination is shorter than Snappy.GetMaxCompressedLength(source.Length).", nameof(destination));
        }

        var pos = WriteVarint(destination, (uint)source.Length);
        if (source.IsEmpty)
        {
            return pos;
        }

        Span<ushort> table = stackalloc ushort[1 << HashBits];
        for (var start = 0; start < source.Length; start += BlockSize)
        {
            var block = source.Slice(start, Math.Min(BlockSize, source.Length - start));
            table.Clear();
            pos = CompressBlock(block, destination, pos, table);
        }

        return pos;
    }

    private static int CompressBlock(ReadOnlySpan<byte> block, Span<byte> destination, int pos, Span<ushort> table)
    {
        var length = block.Length;
        var nextEmit = 0;
        if (length >= InputMargin)
        {
            ref var input = ref MemoryMarshal.GetReference(block);
            var ipLimit = length - InputMargin;
            var ip = 1;
            while (true)
            {
                // Search for a 4-byte match, looking further apart the longer nothing matches (incompressible data).
                var skip = 32;
                var nextIp = ip;
                int candidate;
                do
                {
                    ip = nextIp;
                    nextIp = ip + (skip++ >> 5);
                    if (nextIp > ipLimit)
                    {
                        goto EmitRemainder;
                    }

                    var h = Hash(Load32(ref input, ip));
                    candidate = table[(int)h];
                    table[(int)h] = (ushort)ip;
                }
                while (Load32(ref input, ip) != Load32(ref input, candidate));

                pos = EmitLiteral(block.Slice(nextEmit, ip - nextEmit), destination, pos);
                do
                {
                    var matchStart = ip;
                    var matched = 4 + MatchLength(ref input, candidate + 4, ip + 4, length);
                    ip += matched;
                    pos = EmitCopy(destination, pos, matchStart - candidate, matched);
                    nextEmit = ip;
                    if (ip >= ipLimit)
                    {
                        goto EmitRemainder;
                    }

                    table[(int)Hash(Load32(ref input, ip - 1))] = (ushort)(ip - 1);
                    var h = Hash(Load32(ref input, ip));
                    candidate = table[(int)h];
                    table[(int)h] = (ushort)ip;
                }
                while (Load32(ref input, ip) == Load32(ref input, candidate));

                ip++;
            }
        }

    EmitRemainder:
        if (nextEmit < length)
        {
            pos = EmitLiteral(block[nextEmit..], destination, pos);
        }

        return pos;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static uint Load32(ref byte data, int index) => Unsafe.ReadUnaligned<uint>(ref Unsafe.Add(ref data, index));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static uint Hash(uint value) => (value * 0x1e35a7bdu) >> (32 - HashBits);

    private static int MatchLength(ref byte input, int a, int b, int limit)
    {
        var matched = 0;
        while (b + matched + 8 <= limit)
        {
            var x = Unsafe.ReadUnaligned<ulong>(ref Unsafe.Add(ref input, a + matched)) ^ Unsafe.ReadUnaligned<ulong>(ref Unsafe.Add(ref input, b + matched));
            if (x != 0)
            {
                return matched + (BitConverter.IsLittleEndian ? BitOperations.TrailingZeroCount(x) : BitOperations.LeadingZeroCount(x)) / 8;
            }

            matched += 8;
        }

        while (b + matched < limit && Unsafe.Add(ref input, a + matched) == Unsafe.Add(ref input, b + matched))
        {
            matched++;
        }

        return matched;
    }

    private static int EmitLiteral(ReadOnlySpan<byte> literal, Span<byte> destination, int pos)
    {
        var n = literal.Length - 1;
        if (n < 60)
        {
            destination[pos++] = (byte)(n << 2);
        }
        else
        {
            var bytes = n < (1 << 8) ? 1 : n < (1 << 16) ? 2 : n < (1 << 24) ? 3 : 4;
            destination[pos++] = (byte)((59 + bytes) << 2);
            for (var i = 0; i < bytes; i++)
            {
                destination[pos++] = (byte)(n >> (8 * i));
            }
        }

        literal.CopyTo(destination[pos..]);
        return pos + literal.Length;
    }

    private static int EmitCopy(Span<byte> destination, int pos, int offset, int length)
    {
        while (length >= 68)
        {
            pos = EmitCopyAtMost64(destination, pos, offset, 64);
            length -= 64;
        }

        if (length > 64)
        {
            pos = EmitCopyAtMost64(destination, pos, offset, 60);
            length -= 60;
        }

        return EmitCopyAtMost64(destination, pos, offset, length);
    }

    private static int EmitCopyAtMost64(Span<byte> destination, int pos, int offset, int length)
    {
        if (length < 12 && offset < 2048)
        {
            destination[pos] = (byte)(1 | ((length - 4) << 2) | ((offset >> 8) << 5));
            destination[pos + 1] = (byte)offset;
            return pos + 2;
        }

        destination[pos] = (byte)(2 | ((length - 1) << 2));
        BinaryPrimitives.WriteUInt16LittleEndian(destination.Slice(pos + 1, 2), (ushort)offset);
        return pos + 3;
    }

    private static int WriteVarint(Span<byte> destination, uint value)
    {
        var pos = 0;
        while (value >= 0x80)
        {
            destination[pos++] = (byte)(value | 0x80);
            value >>= 7;
        }

        destination[pos++] = (byte)value;
        return pos;
    }

    private static int ReadPreamble(ReadOnlySpan<byte> source, out int position)
    {
        uint result = 0;
        for (var i = 0; i < 5; i++)
        {
            if (i >= source.Length)
            {
                throw new InvalidDataException("Snappy data is truncated inside its length preamble.");
            }

            uint b = source[i];
            if (i == 4 && b > 0x0F)
            {
                throw new InvalidDataException("Snappy length preamble exceeds 32 bits.");
            }

            result |= (b & 0x7F) << (7 * i);
            if (b < 0x80)
            {
                position = i + 1;
                if (result > int.MaxValue)
                {
                    throw new InvalidDataException("Snappy uncompressed length exceeds 2 GiB.");
                }

                return (int)result;
            }
        }

        throw new InvalidDataException("Snappy length preamble exceeds 32 bits.");
    }

    private static InvalidDataException Truncated() => new("Snappy data is truncated inside an element.");

    private static InvalidDataException Overrun() => new("Snappy element writes past the declared uncompressed length.");

    private static InvalidDataException BadOffset() => new("Snappy copy refers to data before the start of the output.");
}
