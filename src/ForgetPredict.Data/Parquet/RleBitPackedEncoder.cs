namespace ForgetPredict.Data.Parquet;

// Encoder for the RLE / bit-packing hybrid (see RleBitPackedDecoder). Runs of at least 8 equal values become RLE
// runs; everything else is bit-packed in groups of 8. A literal stretch only ends at a group boundary, so every
// bit-packed run but the last holds whole groups; the last group is zero-padded (readers stop at the value count).

/// <summary>Encodes 32-bit values with the Parquet RLE/bit-packed hybrid.</summary>
internal static class RleBitPackedEncoder
{
    private const int MinRepeat = 8;

    /// <summary>Appends the encoding of <paramref name="values"/> (each below 2^<paramref name="bitWidth"/>) to <paramref name="output"/>.</summary>
    public static void Encode(ReadOnlySpan<int> values, int bitWidth, ByteBuffer output)
    {
        var i = 0;
        while (i < values.Length)
        {
            var run = RunLength(values, i);
            if (run >= MinRepeat)
            {
                WriteRle(values[i], run, bitWidth, output);
                i += run;
                continue;
            }

            var start = i;
            i = Math.Min(values.Length, i + 8);
            while (i < values.Length && RunLength(values, i) < MinRepeat)
            {
                i = Math.Min(values.Length, i + 8);
            }

            WriteBitPacked(values[start..i], bitWidth, output);
        }
    }

    /// <summary>Bits needed for values up to <paramref name="maxValue"/> (0 for 0).</summary>
    public static int BitWidth(int maxValue) => maxValue == 0 ? 0 : 32 - System.Numerics.BitOperations.LeadingZeroCount((uint)maxValue);

    private static int RunLength(ReadOnlySpan<int> values, int start)
    {
        var value = values[start];
        var end = start + 1;
        while (end < values.Length && values[end] == value)
        {
            end++;
        }

        return end - start;
    }

    private static void WriteRle(int value, int count, int bitWidth, ByteBuffer output)
    {
        output.WriteUleb128((ulong)count << 1);
        var byteWidth = (bitWidth + 7) / 8;
        for (var b = 0; b < byteWidth; b++)
        {
            output.WriteByte((byte)(value >> (8 * b)));
        }
    }

    private static void WriteBitPacked(ReadOnlySpan<int> values, int bitWidth, ByteBuffer output)
    {
        var groups = (values.Length + 7) / 8;
        output.WriteUleb128(((ulong)groups << 1) | 1);
        var bytes = groups * bitWidth;
        var span = output.GetSpan(bytes);
        span.Clear();
        long bit = 0;
        foreach (var value in values)
        {
            var v = (ulong)(uint)value;
            for (var b = 0; b < bitWidth; b += 8 - (int)((bit + b) & 7))
            {
                var at = bit + b;
                span[(int)(at >> 3)] |= (byte)(v >> b << (int)(at & 7));
            }

            bit += bitWidth;
        }

        output.Advance(bytes);
    }
}
