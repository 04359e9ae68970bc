using ForgetPredict.Core.Numerics;

namespace ForgetPredict.Core.Tests;

/// <summary>The vectorised half-precision conversions against the runtime's scalar casts, bit for bit.</summary>
public class HalfPrecisionKernelTests
{
    [Fact]
    public void ToSingle_MatchesTheCastForEveryHalf()
    {
        var halves = Enumerable.Range(0, 1 << 16).Select(b => BitConverter.UInt16BitsToHalf((ushort)b)).ToArray();
        var actual = new float[halves.Length];
        HalfPrecision.ToSingle(halves, actual);
        for (var i = 0; i < halves.Length; i++)
        {
            var expected = (float)halves[i];
            if (float.IsNaN(expected))
            {
                Assert.True(float.IsNaN(actual[i]), $"half 0x{i:X4} should convert to NaN");
            }
            else
            {
                Assert.True(BitConverter.SingleToUInt32Bits(expected) == BitConverter.SingleToUInt32Bits(actual[i]), $"half 0x{i:X4}: expected {expected:R}, got {actual[i]:R}");
            }
        }
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(15)]
    [InlineData(16)]
    [InlineData(17)]
    [InlineData(33)]
    public void ToSingle_HandlesEveryTailLength(int n)
    {
        var random = new Random(n);
        var halves = Enumerable.Range(0, n).Select(_ => (Half)(random.NextDouble() - 0.5)).ToArray();
        var actual = new float[n];
        HalfPrecision.ToSingle(halves, actual);
        Assert.Equal(halves.Select(h => (float)h), actual);
    }

    [Fact]
    public void FromDouble_MatchesTheCastAtEveryRoundingTie()
    {
        // Every finite half, the midpoint to the next one (a tie: rounds to the even neighbour) and the doubles just
        // beside each, with both signs, plus overflow, infinities, NaN and doubles far below half's range.
        var values = new List<double>();
        for (var b = 0; b < 0x7C00; b++)
        {
            var x = (double)BitConverter.UInt16BitsToHalf((ushort)b);
            var next = (double)BitConverter.UInt16BitsToHalf((ushort)(b + 1));
            var mid = (x + next) / 2;
            foreach (var v in new[] { x, mid, Math.BitDecrement(mid), Math.BitIncrement(mid) })
            {
                values.Add(v);
                values.Add(-v);
            }
        }

        values.AddRange([65504, 65519.999, 65520, 65536, 1e300, double.MaxValue, double.PositiveInfinity, double.NegativeInfinity,
            double.Epsilon, 1e-310, 1e-30, Math.Pow(2, -25), Math.BitIncrement(Math.Pow(2, -25)), 3 * Math.Pow(2, -26), 0.0, -0.0]);
        var source = values.ToArray();
        var actual = new Half[source.Length];
        HalfPrecision.FromDouble(source, actual);
        for (var i = 0; i < source.Length; i++)
        {
            var expected = BitConverter.HalfToUInt16Bits((Half)source[i]);
            Assert.True(expected == BitConverter.HalfToUInt16Bits(actual[i]), $"{source[i]:R}: expected 0x{expected:X4}, got 0x{BitConverter.HalfToUInt16Bits(actual[i]):X4}");
        }

        var nan = new Half[16];
        HalfPrecision.FromDouble(Enumerable.Repeat(double.NaN, 16).ToArray(), nan);
        Assert.All(nan, h => Assert.True(Half.IsNaN(h)));
    }

    [Theory]
    [InlineData(0)]
    [InlineData(3)]
    [InlineData(16)]
    [InlineData(31)]
    [InlineData(1000)]
    public void FromDouble_HandlesEveryTailLength(int n)
    {
        var random = new Random(n);
        var source = Enumerable.Range(0, n).Select(_ => (random.NextDouble() - 0.5) * Math.Pow(2, random.Next(-30, 18))).ToArray();
        var actual = new Half[n];
        HalfPrecision.FromDouble(source, actual);
        Assert.Equal(source.Select(d => (Half)d), actual);
    }

    [Fact]
    public void ShortDestinations_AreRefused()
    {
        Assert.Throws<ArgumentException>(() => HalfPrecision.ToSingle(new Half[4], new float[3]));
        Assert.Throws<ArgumentException>(() => HalfPrecision.FromDouble(new double[4], new Half[3]));
    }
}
