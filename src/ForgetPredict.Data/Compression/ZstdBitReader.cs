using System.Buffers.Binary;
using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace ForgetPredict.Data.Compression;

/// <summary>
/// Reads a Zstandard backward bit stream (RFC 8878 §4.1, §4.2.2): the stream is read from its last byte towards its
/// first, after skipping the zero padding and the marker bit at the top of the last byte.
/// </summary>
/// <remarks>
/// <para>A 64-bit container holds the bytes <c>[_position, _position + 8)</c> of the stream; <c>_consumed</c> counts
/// the bits already taken from its top. Reading never touches memory outside the stream: loads only happen at
/// positions in <c>[0, length - 8]</c>, and streams shorter than 8 bytes are loaded once, byte by byte.</para>
/// <para>Reading more bits than remain is not checked per read (that would cost a branch per symbol); the
/// value returned is then meaningless but always below <c>2^n</c>, so table lookups stay in bounds, and
/// <see cref="Reload"/> reports the overflow. Callers check <see cref="IsCompleted"/> at the end.</para>
/// </remarks>
internal ref struct ZstdBitReader
{
    /// <summary><see cref="Reload"/>: more bytes remain before the start of the stream.</summary>
    public const int Unfinished = 0;

    /// <summary><see cref="Reload"/>: the container holds the stream's first byte; some bits remain.</summary>
    public const int EndOfBuffer = 1;

    /// <summary><see cref="Reload"/>: every bit of the stream has been consumed, exactly.</summary>
    public const int Completed = 2;

    /// <summary><see cref="Reload"/>: more bits were read than the stream holds.</summary>
    public const int Overflow = 3;

    private readonly ref byte _start;
    private ulong _container;
    private int _consumed;
    private int _position;

    /// <summary>Starts reading <paramref name="stream"/> from its end; throws when it is empty or its last byte is 0.</summary>
    public ZstdBitReader(ReadOnlySpan<byte> stream)
    {
        if (stream.IsEmpty)
        {
            ZstdErrors.Corrupt("a bit stream is empty");
        }

        uint last = stream[^1];
        if (last == 0)
        {
            ZstdErrors.Corrupt("a bit stream's last byte is 0 (it must hold the end marker bit)");
        }

        _start = ref MemoryMarshal.GetReference(stream);
        int skip = BitOperations.LeadingZeroCount(last) - 23; // padding zeros plus the marker bit
        if (stream.Length >= 8)
        {
            _position = stream.Length - 8;
            _container = BinaryPrimitives.ReadUInt64LittleEndian(stream.Slice(_position));
            _consumed = skip;
        }
        else
        {
            ulong container = 0;
            for (int i = stream.Length - 1; i >= 0; i--)
            {
                container = (container << 8) | stream[i];
            }

            _position = 0;
            _container = container;
            _consumed = skip + ((8 - stream.Length) * 8);
        }
    }

    /// <summary>True when every bit has been read, exactly (call after <see cref="Reload"/>).</summary>
    public readonly bool IsCompleted => _position == 0 && _consumed == 64;

    /// <summary>True when more bits were read than the stream holds.</summary>
    public readonly bool IsOverflowed => _consumed > 64;

    /// <summary>Non-negative when <see cref="ReloadFast"/> may be called: the reload moves back by whole bytes and stays
    /// at least one byte after the stream's start (so the stream is at least 9 bytes and the 8-byte load is inside it).
    /// Several readers can be tested at once by OR-ing their margins.</summary>
    public readonly int FastReloadMargin
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        get => _position - (_consumed >> 3) - 1;
    }

    /// <summary>Reads <paramref name="count"/> bits (0 to 56), most significant first; 0 bits read as 0.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public uint ReadBits(int count)
    {
        uint value = (uint)((_container << _consumed) >> 1 >> (63 - count));
        _consumed += count;
        return value;
    }

    /// <summary>Decodes one Huffman symbol: looks up the top <c>64 - <paramref name="shift"/></c> bits in the table
    /// (entries are <c>symbol &lt;&lt; 8 | bits</c>, the table has <c>2^(64 - shift)</c> entries) and consumes its length.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public byte DecodeHuffman(ref ushort table, int shift)
    {
        ushort entry = Unsafe.Add(ref table, (nint)((_container << _consumed) >> shift));
        _consumed += entry & 0xFF;
        return (byte)(entry >> 8);
    }

    /// <summary>Refills the container by whole bytes; valid only when <see cref="FastReloadMargin"/> is not negative. Leaves at most 7 bits consumed.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void ReloadFast()
    {
        _position -= _consumed >> 3;
        _consumed &= 7;
        _container = Load(ref Unsafe.Add(ref _start, _position));
    }

    /// <summary>Refills the container as far as the stream allows; returns <see cref="Unfinished"/>,
    /// <see cref="EndOfBuffer"/>, <see cref="Completed"/> or <see cref="Overflow"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public int Reload()
    {
        if (_consumed > 64)
        {
            return Overflow;
        }

        if (_position == 0)
        {
            return _consumed == 64 ? Completed : EndOfBuffer;
        }

        int bytes = _consumed >> 3;
        int status = Unfinished;
        if (bytes > _position)
        {
            bytes = _position;
            status = EndOfBuffer;
        }

        _position -= bytes;
        _consumed -= bytes << 3;
        _container = Load(ref Unsafe.Add(ref _start, _position));
        return status;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static ulong Load(ref byte source)
    {
        ulong value = Unsafe.ReadUnaligned<ulong>(ref source);
        return BitConverter.IsLittleEndian ? value : BinaryPrimitives.ReverseEndianness(value);
    }
}
