using System.Buffers;
using System.Buffers.Binary;
using System.Globalization;

namespace ForgetPredict.Data.Parquet;

/// <summary>Malformed DELTA_* data; the reader turns it into a <see cref="ForgettingDataException"/> naming file, column and page.</summary>
internal sealed class DeltaFormatException(string message) : Exception(message);

/// <summary>
/// Decoders for Parquet's delta encodings (Encodings.md): DELTA_BINARY_PACKED (INT32/INT64), DELTA_LENGTH_BYTE_ARRAY and
/// DELTA_BYTE_ARRAY (BYTE_ARRAY), which DuckDB's PARQUET_VERSION V2, pyarrow's column_encoding and Rust writers without
/// a dictionary produce.
/// </summary>
/// <remarks>
/// DELTA_BINARY_PACKED: a header (block size, miniblocks per block, value count: ULEB128; first value: zigzag ULEB128),
/// then blocks of (min delta: zigzag ULEB128, one bit width per miniblock, miniblocks of bit-packed deltas, least
/// significant bit first). Sums wrap in two's complement, so INT32 columns decode in 64 bits and keep the low 32. Every
/// count and size is checked against the page before it is used: the header cannot make the decoder loop or allocate
/// beyond what the page holds.
/// </remarks>
internal static class DeltaDecoder
{
    /// <summary>Largest block size accepted (writers use 128 to 1024 values).</summary>
    internal const int MaxBlockSize = 1 << 16;

    /// <summary>Decodes exactly <paramref name="destination"/>.Length values; returns the number of bytes read.</summary>
    /// <exception cref="DeltaFormatException">The data is malformed or holds another number of values.</exception>
    public static int BinaryPacked(ReadOnlySpan<byte> data, Span<long> destination)
    {
        var position = 0;
        var blockSize = Unsigned(data, ref position, "block size");
        var miniblocks = Unsigned(data, ref position, "miniblock count");
        var total = Unsigned(data, ref position, "value count");
        var first = ZigZag(Unsigned(data, ref position, "first value"));
        if (blockSize is 0 or > MaxBlockSize || blockSize % 128 != 0 || miniblocks == 0 || blockSize % miniblocks != 0 || blockSize / miniblocks % 32 != 0)
        {
            throw new DeltaFormatException(string.Create(CultureInfo.InvariantCulture,
                $"DELTA_BINARY_PACKED header has block size {blockSize} with {miniblocks} miniblocks; the format needs a multiple of 128 split into miniblocks of a multiple of 32 values. The file is corrupt."));
        }

        if (total != (ulong)destination.Length)
        {
            throw new DeltaFormatException(string.Create(CultureInfo.InvariantCulture,
                $"DELTA_BINARY_PACKED data holds {total} values where the page has {destination.Length}; the file is corrupt."));
        }

        if (destination.IsEmpty)
        {
            return position;
        }

        var perMiniblock = (int)(blockSize / miniblocks);
        var deltas = ArrayPool<ulong>.Shared.Rent(perMiniblock);
        try
        {
            var previous = first;
            destination[0] = first;
            var produced = 1;
            while (produced < destination.Length)
            {
                var minDelta = ZigZag(Unsigned(data, ref position, "min delta"));
                if (data.Length - position < (int)miniblocks)
                {
                    throw Truncated();
                }

                var widths = data.Slice(position, (int)miniblocks);
                position += (int)miniblocks;
                for (var m = 0; m < widths.Length && produced < destination.Length; m++)
                {
                    int width = widths[m];
                    if (width > 64)
                    {
                        throw new DeltaFormatException(string.Create(CultureInfo.InvariantCulture, $"DELTA_BINARY_PACKED miniblock has bit width {width} (at most 64); the file is corrupt."));
                    }

                    // A miniblock is stored whole even when the page ends inside it.
                    var bytes = perMiniblock / 8 * width;
                    if (data.Length - position < bytes)
                    {
                        throw Truncated();
                    }

                    var packed = deltas.AsSpan(0, perMiniblock);
                    Unpack(data.Slice(position, bytes), width, packed);
                    position += bytes;
                    var take = Math.Min(perMiniblock, destination.Length - produced);
                    for (var i = 0; i < take; i++)
                    {
                        previous = unchecked(previous + minDelta + (long)packed[i]);
                        destination[produced++] = previous;
                    }
                }
            }

            return position;
        }
        finally
        {
            ArrayPool<ulong>.Shared.Return(deltas);
        }
    }

    /// <summary>
    /// DELTA_LENGTH_BYTE_ARRAY: the lengths (DELTA_BINARY_PACKED), then the values back to back. Calls
    /// <paramref name="value"/> with each value in order; returns the number of bytes read.
    /// </summary>
    public static int LengthByteArray<TState>(ReadOnlySpan<byte> data, int count, ref TState state, ValueAction<TState> value)
        where TState : allows ref struct
    {
        var lengths = ArrayPool<long>.Shared.Rent(Math.Max(count, 1));
        try
        {
            var position = BinaryPacked(data, lengths.AsSpan(0, count));
            for (var i = 0; i < count; i++)
            {
                value(ref state, i, Next(data, ref position, lengths[i], i));
            }

            return position;
        }
        finally
        {
            ArrayPool<long>.Shared.Return(lengths);
        }
    }

    /// <summary>
    /// DELTA_BYTE_ARRAY (incremental encoding): prefix lengths (DELTA_BINARY_PACKED), then the suffixes
    /// (DELTA_LENGTH_BYTE_ARRAY); value i is the first prefix[i] bytes of value i - 1 followed by suffix i. A value is never
    /// longer than the page; all values together may be at most 64 times the page (shared prefixes of real data come
    /// nowhere near; a crafted page could otherwise expand quadratically).
    /// </summary>
    public static void ByteArray<TState>(ReadOnlySpan<byte> data, int count, ref TState state, ValueAction<TState> value)
        where TState : allows ref struct
    {
        var prefixes = ArrayPool<long>.Shared.Rent(Math.Max(count, 1));
        var lengths = ArrayPool<long>.Shared.Rent(Math.Max(count, 1));
        var previous = ArrayPool<byte>.Shared.Rent(Math.Min(data.Length, 1 << 16) + 16);
        var current = ArrayPool<byte>.Shared.Rent(previous.Length);
        try
        {
            var position = BinaryPacked(data, prefixes.AsSpan(0, count));
            position += BinaryPacked(data[position..], lengths.AsSpan(0, count));
            var previousLength = 0;
            var budget = (64L * data.Length) + (1 << 20);
            for (var i = 0; i < count; i++)
            {
                var prefix = prefixes[i];
                if (prefix < 0 || prefix > previousLength)
                {
                    throw new DeltaFormatException(string.Create(CultureInfo.InvariantCulture,
                        $"DELTA_BYTE_ARRAY value {i} reuses {prefix} bytes of a previous value of {previousLength}; the file is corrupt."));
                }

                var suffix = Next(data, ref position, lengths[i], i);
                var size = (int)prefix + suffix.Length;
                budget -= size;
                if (budget < 0)
                {
                    throw new DeltaFormatException("DELTA_BYTE_ARRAY values expand to more than 64 times their page; the file is corrupt or crafted.");
                }

                if (size > current.Length)
                {
                    ArrayPool<byte>.Shared.Return(current);
                    current = ArrayPool<byte>.Shared.Rent(size);
                }

                previous.AsSpan(0, (int)prefix).CopyTo(current);
                suffix.CopyTo(current.AsSpan((int)prefix));
                value(ref state, i, current.AsSpan(0, size));
                (previous, current) = (current, previous);
                previousLength = size;
            }
        }
        finally
        {
            ArrayPool<long>.Shared.Return(prefixes);
            ArrayPool<long>.Shared.Return(lengths);
            ArrayPool<byte>.Shared.Return(previous);
            ArrayPool<byte>.Shared.Return(current);
        }
    }

    // The next of a page's back-to-back values: its claimed length checked against what remains.
    private static ReadOnlySpan<byte> Next(ReadOnlySpan<byte> data, scoped ref int position, long length, int i)
    {
        if (length < 0 || length > data.Length - position)
        {
            throw new DeltaFormatException(string.Create(CultureInfo.InvariantCulture,
                $"BYTE_ARRAY value {i} claims {length} bytes but {data.Length - position} remain in the page; the file is corrupt."));
        }

        var value = data.Slice(position, (int)length);
        position += (int)length;
        return value;
    }

    /// <summary>Receives value <c>index</c> of a byte-array page.</summary>
    public delegate void ValueAction<TState>(ref TState state, int index, ReadOnlySpan<byte> value)
        where TState : allows ref struct;

    // Unpacks width-bit values, least significant bit first, from a miniblock of exactly destination.Length * width bits.
    private static void Unpack(ReadOnlySpan<byte> source, int width, Span<ulong> destination)
    {
        if (width == 0)
        {
            destination.Clear();
            return;
        }

        var mask = width == 64 ? ulong.MaxValue : (1UL << width) - 1;
        Span<byte> tail = stackalloc byte[8];
        long bit = 0;
        for (var i = 0; i < destination.Length; i++, bit += width)
        {
            var at = (int)(bit >> 3);
            var shift = (int)(bit & 7);
            ulong word;
            if (source.Length - at >= 8)
            {
                word = BinaryPrimitives.ReadUInt64LittleEndian(source[at..]);
            }
            else
            {
                tail.Clear();
                source[at..].CopyTo(tail);
                word = BinaryPrimitives.ReadUInt64LittleEndian(tail);
            }

            var v = word >> shift;
            if (shift + width > 64)
            {
                v |= (ulong)source[at + 8] << (64 - shift);
            }

            destination[i] = v & mask;
        }
    }

    private static ulong Unsigned(ReadOnlySpan<byte> data, ref int position, string what)
    {
        ulong result = 0;
        for (var shift = 0; shift < 64; shift += 7)
        {
            if (position >= data.Length)
            {
                throw new DeltaFormatException($"DELTA_BINARY_PACKED data ends inside its {what}; the file is corrupt.");
            }

            var b = data[position++];
            result |= (ulong)(b & 0x7F) << shift;
            if (b < 0x80)
            {
                return result;
            }
        }

        throw new DeltaFormatException($"DELTA_BINARY_PACKED {what} is longer than 10 bytes; the file is corrupt.");
    }

    private static long ZigZag(ulong value) => (long)(value >> 1) ^ -(long)(value & 1);

    private static DeltaFormatException Truncated() => new("DELTA_BINARY_PACKED data ends inside a block; the file is corrupt.");
}
