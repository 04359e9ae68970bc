using System.Globalization;
using System.Text;
using ForgetPredict.Data.Formats;

namespace ForgetPredict.Data.Tests.Formats;

/// <summary>The float32 cell parser: its fast path must equal the BCL's correctly rounded float.Parse on every input.</summary>
public class CellParserTests
{
    [Fact]
    public void Parse_ShortestRoundTripFloats_EqualsFloatParse()
    {
        // Given: 200,000 random float32 values across magnitudes, as their shortest round-trip text (what pandas writes).
        var random = new Random(11);
        for (var i = 0; i < 200_000; i++)
        {
            var bits = random.Next() | (random.Next(2) << 31);
            var value = BitConverter.Int32BitsToSingle(bits);
            if (!float.IsFinite(value))
            {
                continue;
            }

            var text = value.ToString("R", CultureInfo.InvariantCulture);

            // When
            var kind = CellParser.Parse(Encoding.ASCII.GetBytes(text), out var parsed);

            // Then
            Assert.Equal(CellKind.Number, kind);
            Assert.True(BitConverter.SingleToInt32Bits(value) == BitConverter.SingleToInt32Bits(parsed), $"'{text}': expected {value:R}, parsed {parsed:R}");
        }
    }

    [Fact]
    public void Parse_RandomDecimalText_EqualsFloatParse()
    {
        // Decimal strings of 1..20 digits with random point and exponent, including exact float32 midpoints.
        var random = new Random(12);
        var texts = new List<string>
        {
            "16777217", "16777216.5", "0.1", "3.4028235e38", "3.4028236e38", "1.17549435e-38", "1e-45", "1.4e-45", "7e-46",
            "9007199254740993", "0.000000000000000000000000000000000000011754943", "33554433", "33554435",
            "1.00000005960464477539062500", "1.0000000596046448", "4.9406564584124654e-324",
        };
        for (var i = 0; i < 200_000; i++)
        {
            var digits = new StringBuilder();
            var count = random.Next(1, 21);
            for (var d = 0; d < count; d++)
            {
                digits.Append((char)('0' + random.Next(10)));
            }

            var point = random.Next(count + 1);
            var text = (random.Next(4) == 0 ? "-" : string.Empty) + digits.ToString(0, point) + (point < count ? "." + digits.ToString(point, count - point) : string.Empty);
            if (text.EndsWith('-') || text.Length == 0)
            {
                continue;
            }

            if (random.Next(3) == 0)
            {
                text += (random.Next(2) == 0 ? "e" : "E-") + random.Next(0, 40).ToString(CultureInfo.InvariantCulture);
            }

            texts.Add(text);
        }

        // Exact midpoints between neighbouring float32 values (the double-rounding trap) and their neighbours.
        for (var i = 0; i < 20_000; i++)
        {
            var f = BitConverter.Int32BitsToSingle(random.Next(0x0080_0000, 0x7F00_0000));
            var next = MathF.BitIncrement(f);
            var mid = ((double)f + next) / 2;
            texts.Add(mid.ToString("R", CultureInfo.InvariantCulture));
            texts.Add(mid.ToString("E16", CultureInfo.InvariantCulture));
        }

        foreach (var text in texts)
        {
            var kind = CellParser.Parse(Encoding.ASCII.GetBytes(text), out var parsed);
            var expected = float.Parse(text, NumberStyles.Float, CultureInfo.InvariantCulture);
            if (float.IsInfinity(expected))
            {
                Assert.Equal(CellKind.Infinite, kind);
                continue;
            }

            Assert.Equal(CellKind.Number, kind);
            Assert.True(BitConverter.SingleToInt32Bits(expected) == BitConverter.SingleToInt32Bits(parsed), $"'{text}': expected {expected:R}, parsed {parsed:R}");
        }
    }

    [Theory]
    [InlineData("")]
    [InlineData("NaN")]
    [InlineData("nan")]
    [InlineData("NA")]
    [InlineData("N/A")]
    [InlineData("#N/A")]
    [InlineData("null")]
    [InlineData("None")]
    [InlineData("<NA>")]
    [InlineData("-nan")]
    [InlineData("  ")]
    [InlineData(" NaN ")]
    public void Parse_MissingMarkers_AreMissing(string text)
    {
        Assert.Equal(CellKind.Missing, CellParser.Parse(Encoding.UTF8.GetBytes(text), out var value));
        Assert.True(float.IsNaN(value));
    }

    [Theory]
    [InlineData("inf")]
    [InlineData("-inf")]
    [InlineData("+inf")]
    [InlineData("Infinity")]
    [InlineData("-Infinity")]
    [InlineData("INF")]
    [InlineData("1e39")]
    [InlineData("-3.5e38")]
    public void Parse_Infinities_AreInfinite(string text) =>
        Assert.Equal(CellKind.Infinite, CellParser.Parse(Encoding.UTF8.GetBytes(text), out _));

    [Theory]
    [InlineData("1,5")]
    [InlineData("abc")]
    [InlineData("1.2.3")]
    [InlineData("0x10")]
    [InlineData("1e")]
    [InlineData("--1")]
    [InlineData("1 000")]
    [InlineData(".")]
    [InlineData("e5")]
    public void Parse_NonNumbers_AreInvalid(string text) =>
        Assert.Equal(CellKind.Invalid, CellParser.Parse(Encoding.UTF8.GetBytes(text), out _));

    [Theory]
    [InlineData(" 0.5", 0.5f)]
    [InlineData("0.5 ", 0.5f)]
    [InlineData("+2", 2f)]
    [InlineData(".25", 0.25f)]
    [InlineData("5.", 5f)]
    [InlineData("-0", -0f)]
    [InlineData("1E-05", 1e-5f)]
    [InlineData("00012.5000", 12.5f)]
    public void Parse_LenientNumberForms_AreRead(string text, float expected)
    {
        Assert.Equal(CellKind.Number, CellParser.Parse(Encoding.UTF8.GetBytes(text), out var value));
        Assert.Equal(BitConverter.SingleToInt32Bits(expected), BitConverter.SingleToInt32Bits(value));
    }

    [Fact]
    public void Explain_DecimalComma_SaysSo()
    {
        Assert.Contains("decimal comma", CellParser.Explain("1,5"u8), StringComparison.Ordinal);
        Assert.DoesNotContain("decimal comma", CellParser.Explain("abc"u8), StringComparison.Ordinal);
        Assert.DoesNotContain("decimal comma", CellParser.Explain("1,234.5"u8), StringComparison.Ordinal);
    }
}
