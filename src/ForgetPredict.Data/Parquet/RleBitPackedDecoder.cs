using System.Buffers.Binary;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace ForgetPredict.Data.Parquet;

// The RLE / bit-packing hybrid (Encodings.md): a sequence of runs, each starting with a ULEB128 header h.
//   h & 1 == 0: RLE run of h >> 1 copies of one value stored in ceil(bitWidth / 8) little-endian bytes.
//   h & 1 == 1: bit-packed run of (h >> 1) groups of 8 values, bitWidth bits each, packed LSB first.
// Definition levels use it with bit width 1, dictionary indices with the width stored in the page's first byte.
// The fast unpack reads an unaligned 64-bit word per value while at least 8 bytes remain, which covers every width
// up to 32 (shift <= 7); the last few values of a buffer go through a byte-wise path. A bit-packed run cut short by
// the end of the data yields only the values that are fully present (writers may omit padding of the last group).

/// <summary>Decodes the Parquet RLE/bit-packed hybrid encoding into 32-bit values.</summary>
internal ref struct RleBitPackedDecoder
{
    private readonly ReadOnlySpan<byte> _data;
    private readonly int _bitWidth;
    private readonly ulong _mask;
    private int _position;
    private int _rleRemaining;
    private int _rleValue;
    private int _packedRemaining;
    private long _packedBit;

    /// <summary>Creates a decoder over <paramref name="data"/> for values of <paramref name="bitWidth"/> bits (0..32).</summary>
    /// <exception cref="InvalidDataException">The bit width is outside 0..32.</exception>
    public RleBitPackedDecoder(ReadOnlySpan<byte> data, int bitWidth)
    {
        if ((uint)bitWidth > 32)
        {
            throw new InvalidDataException(FormattableString.Invariant($"RLE/bit-packed bit width {bitWidth} is outside 0..32."));
        }

        _data = data;
        _bitWidth = bitWidth;
        _mask = bitWidth == 64 ? ulong.MaxValue : (1UL << bitWidth) - 1;
        _position = 0;
        _rleRemaining = 0;
        _rleValue = 0;
        _packedRemaining = 0;
        _packedBit = 0;
    }

    /// <summary>Fills <paramref name="destination"/>; returns how many values were decoded (fewer only when the data ends).</summary>
    /// <exception cref="InvalidDataException">A run header is malformed.</exception>
    public int Read(Span<int> destination)
    {
        var filled = 0;
        while (filled < destination.Length)
        {
            if (_rleRemaining > 0)
            {
                var n = Math.Min(_rleRemaining, destination.Length - filled);
                destination.Slice(filled, n).Fill(_rleValue);
                filled += n;
                _rleRemaining -= n;
                continue;
            }

            if (_packedRemaining > 0)
            {
                var n = Math.Min(_packedRemaining, destination.Length - filled);
                Unpack(destination.Slice(filled, n));
                filled += n;
                _packedRemaining -= n;
                continue;
            }

            if (!NextRun())
            {
                break;
            }
        }

        return filled;
    }

    private bool NextRun()
    {
        if (_position >= _data.Length)
        {
            return false;
        }

        var header = ReadUleb128();
        var count = header >> 1;
        if (count > int.MaxValue / 8)
        {
            throw new InvalidDataException(FormattableString.Invariant($"RLE/bit-packed run claims {count} entries."));
        }

        if ((header & 1) == 0)
        {
            var byteWidth = (_bitWidth + 7) / 8;
            if (_data.Length - _position < byteWidth)
            {
                throw new InvalidDataException("RLE run value is truncated.");
            }

            var value = 0u;
            for (var i = 0; i < byteWidth; i++)
            {
                value |= (uint)_data[_position + i] << (8 * i);
            }

            _position += byteWidth;
            _rleValue = (int)value;
            _rleRemaining = (int)Math.Min(count, int.MaxValue);
        }
        else
        {
            var values = count * 8;
            var bytes = count * (ulong)_bitWidth;
            var available = (ulong)(_data.Length - _position);
            if (bytes > available)
            {
                // Truncated last run: keep the values whose bits are all present.
                values = _bitWidth == 0 ? values : available * 8 / (ulong)_bitWidth;
                bytes = available;
            }

            _packedBit = (long)_position * 8;
            _packedRemaining = (int)Math.Min(values, int.MaxValue);
            _position += (int)bytes;
        }

        return true;
    }

    private void Unpack(Span<int> destination)
    {
        if (_bitWidth == 0)
        {
            destination.Clear();
            return;
        }

        ref var data = ref MemoryMarshal.GetReference(_data);
        var bit = _packedBit;
        var width = _bitWidth;
        var mask = _mask;
        var fastLimit = ((long)_data.Length - 8) * 8;
        var i = 0;
        for (; i < destination.Length && bit <= fastLimit; i++, bit += width)
        {
            var word = Unsafe.ReadUnaligned<ulong>(ref Unsafe.Add(ref data, (nint)(bit >> 3)));
            if (!BitConverter.IsLittleEndian)
            {
                word = BinaryPrimitives.ReverseEndianness(word);
            }

            destination[i] = (int)((word >> (int)(bit & 7)) & mask);
        }

        for (; i < destination.Length; i++, bit += width)
        {
            ulong word = 0;
            var first = (int)(bit >> 3);
            var last = Math.Min(_data.Length, (int)((bit + width + 7) >> 3));
            for (var b = first; b < last; b++)
            {
                word |= (ulong)_data[b] << (8 * (b - first));
            }

            destination[i] = (int)((word >> (int)(bit & 7)) & mask);
        }

        _packedBit = bit;
    }

    private ulong ReadUleb128()
    {
        ulong result = 0;
        for (var shift = 0; shift < 64; shift += 7)
        {
            if (_position >= _data.Length)
            {
                throw new InvalidDataException("RLE run header is truncated.");
            }

            var b = _data[_position++];
            result |= (ulong)(b & 0x7F) << shift;
            if (b < 0x80)
            {
                return result;
            }
        }

        throw new InvalidDataException("RLE run header varint is too long.");
    }
}
