using System.Numerics;
using System.Runtime.InteropServices;

namespace ForgetPredict.Data.Compression;

/// <summary>One state of an FSE decoding table (RFC 8878 §4.1.1): the code's baseline and extra-bit count, and how to
/// reach the next state (<c>NewState + read(NbBits)</c>).</summary>
/// <remarks>For Huffman weights the baseline is the weight itself and <see cref="ExtraBits"/> is 0.</remarks>
[StructLayout(LayoutKind.Sequential)]
internal struct ZstdSeqEntry
{
    /// <summary>Baseline of the decoded value (literal length, match length, offset value or weight).</summary>
    public uint BaseValue;

    /// <summary>First state of the range the next state falls in.</summary>
    public ushort NewState;

    /// <summary>Bits read to pick the next state inside that range.</summary>
    public byte NbBits;

    /// <summary>Extra bits added to <see cref="BaseValue"/>.</summary>
    public byte ExtraBits;
}

/// <summary>FSE table descriptions (RFC 8878 §4.1.1), decoding-table construction, and the code tables and
/// predefined distributions of the sequences section (§3.1.1.3.2).</summary>
internal static class ZstdFse
{
    /// <summary>Largest literal-length code.</summary>
    public const int MaxLiteralLengthCode = 35;

    /// <summary>Largest match-length code.</summary>
    public const int MaxMatchLengthCode = 52;

    /// <summary>Largest offset code (offset values below 2^32).</summary>
    public const int MaxOffsetCode = 31;

    /// <summary>Largest accuracy log for literal and match lengths.</summary>
    public const int MaxLengthLog = 9;

    /// <summary>Largest accuracy log for offsets.</summary>
    public const int MaxOffsetLog = 8;

    /// <summary>Largest accuracy log for FSE-compressed Huffman weights.</summary>
    public const int MaxWeightLog = 6;

    private static readonly uint[] s_literalLengthBase =
    [
        0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15,
        16, 18, 20, 22, 24, 28, 32, 40, 48, 64, 128, 256, 512, 1024, 2048, 4096,
        8192, 16384, 32768, 65536,
    ];

    private static readonly byte[] s_literalLengthExtra =
    [
        0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
        1, 1, 1, 1, 2, 2, 3, 3, 4, 6, 7, 8, 9, 10, 11, 12,
        13, 14, 15, 16,
    ];

    private static readonly uint[] s_matchLengthBase =
    [
        3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18,
        19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31, 32, 33, 34,
        35, 37, 39, 41, 43, 47, 51, 59, 67, 83, 99, 131, 259, 515, 1027, 2051,
        4099, 8195, 16387, 32771, 65539,
    ];

    private static readonly byte[] s_matchLengthExtra =
    [
        0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
        0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
        1, 1, 1, 1, 2, 2, 3, 3, 4, 4, 5, 7, 8, 9, 10, 11,
        12, 13, 14, 15, 16,
    ];

    private static readonly short[] s_literalLengthDefault =
    [
        4, 3, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 1, 1, 1,
        2, 2, 2, 2, 2, 2, 2, 2, 2, 3, 2, 1, 1, 1, 1, 1,
        -1, -1, -1, -1,
    ];

    private static readonly short[] s_matchLengthDefault =
    [
        1, 4, 3, 2, 2, 2, 2, 2, 2, 1, 1, 1, 1, 1, 1, 1,
        1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
        1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, -1, -1,
        -1, -1, -1, -1, -1,
    ];

    private static readonly short[] s_offsetDefault =
    [
        1, 1, 1, 1, 1, 1, 2, 2, 2, 1, 1, 1, 1, 1, 1, 1,
        1, 1, 1, 1, 1, 1, 1, 1, -1, -1, -1, -1, -1,
    ];

    /// <summary>Offset codes: baseline <c>2^code</c>, <c>code</c> extra bits.</summary>
    private static readonly uint[] s_offsetBase = CreateOffsetBase();

    private static readonly byte[] s_offsetExtra = CreateOffsetExtra();

    /// <summary>Huffman weights: the symbol is the value, no extra bits.</summary>
    private static readonly uint[] s_identityBase = CreateIdentity();

    private static readonly byte[] s_noExtra = new byte[256];

    /// <summary>Predefined literal-length table (accuracy log 6).</summary>
    public static readonly ZstdSeqEntry[] PredefinedLiteralLengths = BuildPredefined(s_literalLengthDefault, 6, SymbolKind.LiteralLength);

    /// <summary>Predefined match-length table (accuracy log 6).</summary>
    public static readonly ZstdSeqEntry[] PredefinedMatchLengths = BuildPredefined(s_matchLengthDefault, 6, SymbolKind.MatchLength);

    /// <summary>Predefined offset table (accuracy log 5).</summary>
    public static readonly ZstdSeqEntry[] PredefinedOffsets = BuildPredefined(s_offsetDefault, 5, SymbolKind.Offset);

    /// <summary>What a table decodes, which fixes its code baselines and extra bits.</summary>
    public enum SymbolKind
    {
        /// <summary>Literal-length codes 0-35.</summary>
        LiteralLength,

        /// <summary>Match-length codes 0-52.</summary>
        MatchLength,

        /// <summary>Offset codes 0-31.</summary>
        Offset,

        /// <summary>Huffman weights 0-255 (decoded as themselves).</summary>
        Weight,
    }

    /// <summary>Largest code (symbol) of <paramref name="kind"/>.</summary>
    public static int MaxSymbol(SymbolKind kind) => kind switch
    {
        SymbolKind.LiteralLength => MaxLiteralLengthCode,
        SymbolKind.MatchLength => MaxMatchLengthCode,
        SymbolKind.Offset => MaxOffsetCode,
        _ => 255,
    };

    /// <summary>Sets <paramref name="entry"/> to decode <paramref name="symbol"/> of <paramref name="kind"/> with no state change (RLE mode).</summary>
    public static void SetRle(ref ZstdSeqEntry entry, int symbol, SymbolKind kind)
    {
        entry.BaseValue = BaseOf(kind)[symbol];
        entry.ExtraBits = ExtraOf(kind)[symbol];
        entry.NbBits = 0;
        entry.NewState = 0;
    }

    /// <summary>
    /// Reads an FSE table description (normalized counts) from the start of <paramref name="source"/> and returns the number
    /// of bytes it used. Validates the accuracy log against <paramref name="maxLog"/>, the symbols against
    /// <paramref name="maxSymbol"/>, and that the probabilities add up to exactly <c>2^accuracyLog</c>.
    /// </summary>
    public static int ReadNormalizedCounts(ReadOnlySpan<byte> source, Span<short> normalized, int maxSymbol, int maxLog, out int symbolCount, out int accuracyLog)
    {
        if (source.IsEmpty)
        {
            ZstdErrors.Truncated("an FSE table description");
        }

        int bitPosition = 0;
        uint bits = Peek32(source, bitPosition);
        accuracyLog = (int)(bits & 15) + 5;
        if (accuracyLog > maxLog)
        {
            ZstdErrors.Corrupt("an FSE table's accuracy log " + ZstdErrors.Invariant(accuracyLog) + " exceeds the maximum " + ZstdErrors.Invariant(maxLog));
        }

        bitPosition += 4;
        int remaining = (1 << accuracyLog) + 1;
        int threshold = 1 << accuracyLog;
        int nbBits = accuracyLog + 1;
        int symbol = 0;
        bool previousZero = false;
        int limitBits = (source.Length * 8) + 32; // reads past this are hopeless: stop runaway zero-repeat chains early
        while (remaining > 1 && symbol <= maxSymbol)
        {
            if (previousZero)
            {
                int repeatEnd = symbol;
                bits = Peek32(source, bitPosition);
                while ((bits & 0xFFFF) == 0xFFFF)
                {
                    repeatEnd += 24;
                    bitPosition += 16;
                    if (bitPosition > limitBits || repeatEnd > maxSymbol + 1)
                    {
                        ZstdErrors.Corrupt("an FSE table description repeats zero probabilities past the last symbol");
                    }

                    bits = Peek32(source, bitPosition);
                }

                while ((bits & 3) == 3)
                {
                    repeatEnd += 3;
                    bits >>= 2;
                    bitPosition += 2;
                }

                repeatEnd += (int)(bits & 3);
                bitPosition += 2;
                if (repeatEnd > maxSymbol + 1)
                {
                    ZstdErrors.Corrupt("an FSE table description repeats zero probabilities past the last symbol");
                }

                while (symbol < repeatEnd)
                {
                    normalized[symbol++] = 0;
                }

                if (symbol > maxSymbol)
                {
                    break;
                }
            }

            bits = Peek32(source, bitPosition);
            int max = (2 * threshold) - 1 - remaining;
            int count;
            if ((int)(bits & (uint)(threshold - 1)) < max)
            {
                count = (int)(bits & (uint)(threshold - 1));
                bitPosition += nbBits - 1;
            }
            else
            {
                count = (int)(bits & (uint)((2 * threshold) - 1));
                if (count >= threshold)
                {
                    count -= max;
                }

                bitPosition += nbBits;
            }

            count--; // -1 means "less than 1"
            remaining -= count < 0 ? -count : count;
            if (remaining < 1)
            {
                ZstdErrors.Corrupt("an FSE table description's probabilities exceed the table size");
            }

            normalized[symbol++] = (short)count;
            previousZero = count == 0;
            while (remaining < threshold)
            {
                nbBits--;
                threshold >>= 1;
            }

            if (bitPosition > limitBits)
            {
                break;
            }
        }

        if (remaining != 1)
        {
            ZstdErrors.Corrupt("an FSE table description's probabilities do not add up to the table size");
        }

        int used = (bitPosition + 7) >> 3;
        if (used > source.Length)
        {
            ZstdErrors.Truncated("an FSE table description");
        }

        symbolCount = symbol;
        return used;
    }

    /// <summary>
    /// Builds the decoding table for <paramref name="normalized"/> counts of <paramref name="symbolCount"/> symbols into
    /// <paramref name="table"/> (at least <c>2^accuracyLog</c> entries). <paramref name="scratch"/> needs
    /// <c>max(symbolCount, 2^accuracyLog)</c> entries.
    /// </summary>
    public static void BuildTable(ReadOnlySpan<short> normalized, int symbolCount, int accuracyLog, SymbolKind kind, Span<ZstdSeqEntry> table, Span<ushort> scratch)
    {
        int tableSize = 1 << accuracyLog;
        int highThreshold = tableSize - 1;
        ReadOnlySpan<uint> baseValues = BaseOf(kind);
        ReadOnlySpan<byte> extraBits = ExtraOf(kind);
        Span<ushort> symbolNext = scratch.Slice(0, symbolCount);
        table = table.Slice(0, tableSize);

        // The cell's symbol is parked in NewState until the second pass.
        for (int s = 0; s < symbolCount; s++)
        {
            if (normalized[s] == -1)
            {
                table[highThreshold--].NewState = (ushort)s;
                symbolNext[s] = 1;
            }
            else
            {
                symbolNext[s] = (ushort)normalized[s];
            }
        }

        int step = (tableSize >> 1) + (tableSize >> 3) + 3;
        int mask = tableSize - 1;
        int position = 0;
        for (int s = 0; s < symbolCount; s++)
        {
            int count = normalized[s];
            for (int i = 0; i < count; i++)
            {
                table[position].NewState = (ushort)s;
                do
                {
                    position = (position + step) & mask;
                }
                while (position > highThreshold);
            }
        }

        if (position != 0)
        {
            ZstdErrors.Corrupt("an FSE table description does not fill its table");
        }

        for (int u = 0; u < tableSize; u++)
        {
            ref ZstdSeqEntry entry = ref table[u];
            int s = entry.NewState;
            int next = symbolNext[s]++;
            int nbBits = accuracyLog - BitOperations.Log2((uint)next);
            entry.NbBits = (byte)nbBits;
            entry.NewState = (ushort)((next << nbBits) - tableSize);
            entry.BaseValue = baseValues[s];
            entry.ExtraBits = extraBits[s];
        }
    }

    private static ReadOnlySpan<uint> BaseOf(SymbolKind kind) => kind switch
    {
        SymbolKind.LiteralLength => s_literalLengthBase,
        SymbolKind.MatchLength => s_matchLengthBase,
        SymbolKind.Offset => s_offsetBase,
        _ => s_identityBase,
    };

    private static ReadOnlySpan<byte> ExtraOf(SymbolKind kind) => kind switch
    {
        SymbolKind.LiteralLength => s_literalLengthExtra,
        SymbolKind.MatchLength => s_matchLengthExtra,
        SymbolKind.Offset => s_offsetExtra,
        _ => s_noExtra,
    };

    /// <summary>32 bits of <paramref name="source"/> starting at bit <paramref name="bitPosition"/> (little-endian), zeros past the end.</summary>
    private static uint Peek32(ReadOnlySpan<byte> source, int bitPosition)
    {
        int byteIndex = bitPosition >> 3;
        ulong value = 0;
        for (int i = 4; i >= 0; i--)
        {
            int index = byteIndex + i;
            value = (value << 8) | ((uint)index < (uint)source.Length ? source[index] : 0u);
        }

        return (uint)(value >> (bitPosition & 7));
    }

    private static ZstdSeqEntry[] BuildPredefined(short[] distribution, int accuracyLog, SymbolKind kind)
    {
        var table = new ZstdSeqEntry[1 << accuracyLog];
        BuildTable(distribution, distribution.Length, accuracyLog, kind, table, new ushort[256]);
        return table;
    }

    private static uint[] CreateOffsetBase()
    {
        var values = new uint[MaxOffsetCode + 1];
        for (int code = 0; code <= MaxOffsetCode; code++)
        {
            values[code] = 1u << code;
        }

        return values;
    }

    private static byte[] CreateOffsetExtra()
    {
        var values = new byte[MaxOffsetCode + 1];
        for (int code = 0; code <= MaxOffsetCode; code++)
        {
            values[code] = (byte)code;
        }

        return values;
    }

    private static uint[] CreateIdentity()
    {
        var values = new uint[256];
        for (int i = 0; i < values.Length; i++)
        {
            values[i] = (uint)i;
        }

        return values;
    }
}
