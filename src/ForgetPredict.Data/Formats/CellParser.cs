using System.Globalization;
using System.Runtime.CompilerServices;

namespace ForgetPredict.Data.Formats;

/// <summary>What a text cell holds.</summary>
internal enum CellKind
{
    /// <summary>A finite number.</summary>
    Number,

    /// <summary>A missing-value marker (empty, NaN, NA...): NaN.</summary>
    Missing,

    /// <summary>An infinite value (inf, -Infinity, or a number beyond float32's range).</summary>
    Infinite,

    /// <summary>Not a number.</summary>
    Invalid,
}

// Design note: pandas writes float32 as the shortest decimal that round-trips, e.g. "0.012345678" or "1.2e-05". The
// fast path below reads such text as mantissa x 10^e with an exact integer mantissa (up to 19 digits) and, when the
// mantissa fits in 53 bits and |e| <= 22, computes the correctly rounded double with a single multiplication or
// division (Clinger's fast path). Rounding that double to float32 is the correctly rounded float32 unless the double
// lies exactly on a float32 midpoint (double rounding), which is checked; every other case goes to the BCL's correctly
// rounded float.TryParse. The result is therefore always identical to float.Parse, only faster.

/// <summary>Parses numeric cells of CSV and JSON text into float32, culture-invariantly, straight from UTF-8 bytes.</summary>
internal static class CellParser
{
    // The smallest normal float32, 2^-126: below it float32 rounds at a coarser bit, so the midpoint test does not apply.
    private const double MinNormalFloat = 1.1754943508222875e-38;

    private static readonly double[] s_powersOf10 =
    [
        1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22,
    ];

    // pandas' default na_values (read_csv), plus what spreadsheets write: every one is read as a missing cell.
    private static readonly byte[][] s_missingMarkers =
    [
        .. new[]
        {
            "NaN", "nan", "NA", "N/A", "n/a", "NULL", "null", "None", "<NA>", "#N/A", "#N/A N/A", "#NA", "-NaN", "-nan",
            "1.#IND", "-1.#IND", "1.#QNAN", "-1.#QNAN", "#NUM!", "#VALUE!", "NAN",
        }.Select(System.Text.Encoding.ASCII.GetBytes),
    ];

    /// <summary>The missing-value markers, for messages.</summary>
    public static string MissingMarkersText => "empty, NaN, nan, NA, N/A, NULL, null, None, #N/A";

    /// <summary>Parses a cell: a number, a missing marker (empty or NaN-like), an infinity, or invalid text.</summary>
    public static CellKind Parse(ReadOnlySpan<byte> text, out float value)
    {
        if (text.IsEmpty)
        {
            value = float.NaN;
            return CellKind.Missing;
        }

        if (TryParseFast(text, out value))
        {
            return CellKind.Number;
        }

        return ParseSlow(text, out value);
    }

    /// <summary>
    /// A boolean cell as 1 or 0: <c>true</c>/<c>false</c> (polars' <c>write_csv</c>), <c>True</c>/<c>False</c> (pandas, and this
    /// library's own CSV tables), <c>TRUE</c>/<c>FALSE</c> (spreadsheets), as a Parquet BOOLEAN matrix is read. For a matrix's
    /// values only: the layout and header checks still take such a cell for a word.
    /// </summary>
    public static bool TryParseBoolean(ReadOnlySpan<byte> text, out float value)
    {
        var trimmed = text.Trim((byte)' ');
        value = trimmed.SequenceEqual("true"u8) || trimmed.SequenceEqual("True"u8) || trimmed.SequenceEqual("TRUE"u8) ? 1f
            : trimmed.SequenceEqual("false"u8) || trimmed.SequenceEqual("False"u8) || trimmed.SequenceEqual("FALSE"u8) ? 0f
            : float.NaN;
        return !float.IsNaN(value);
    }

    /// <summary>The same rule for a cell already read as text (a measured cell of <c>--observed</c>): 1 or 0, or false.</summary>
    public static bool TryParseBoolean(string text, out double value)
    {
        value = double.NaN;
        Span<byte> utf8 = stackalloc byte[32];
        if (text.Length > 8 || !System.Text.Encoding.UTF8.TryGetBytes(text, utf8, out var length) || !TryParseBoolean(utf8[..length], out var flag))
        {
            return false;
        }

        value = flag;
        return true;
    }

    /// <summary>The fast path: plain decimal text whose float32 value the Clinger fast path computes exactly.</summary>
    public static bool TryParseFast(ReadOnlySpan<byte> s, out float value)
    {
        value = 0;
        var i = 0;
        var length = s.Length;
        var negative = false;
        if (length == 0)
        {
            return false;
        }

        if (s[0] == (byte)'-')
        {
            negative = true;
            i = 1;
        }
        else if (s[0] == (byte)'+')
        {
            i = 1;
        }

        ulong mantissa = 0;
        var digits = 0;
        var from = i;
        if (!Digits(s, ref i, ref mantissa, ref digits))
        {
            return false;
        }

        var any = i > from;
        var exponent = 0;
        if (i < length && s[i] == (byte)'.')
        {
            from = ++i;
            if (!Digits(s, ref i, ref mantissa, ref digits))
            {
                return false;
            }

            any |= i > from;
            exponent = from - i;    // one power of ten per fraction digit, leading zeros included
        }

        if (!any)
        {
            return false;
        }

        if (i < length && (s[i] | 0x20) == (byte)'e')
        {
            i++;
            var exponentNegative = false;
            if (i < length && s[i] is (byte)'-' or (byte)'+')
            {
                exponentNegative = s[i] == (byte)'-';
                i++;
            }

            var start = i;
            var e = 0;
            while (i < length && (uint)(s[i] - '0') <= 9 && i - start < 6)
            {
                e = (e * 10) + (s[i] - '0');
                i++;
            }

            if (i == start)
            {
                return false;
            }

            exponent += exponentNegative ? -e : e;
        }

        if (i != length)
        {
            return false;
        }

        if (mantissa == 0)
        {
            value = negative ? -0f : 0f;
            return true;
        }

        if (mantissa > (1UL << 53) || exponent < -22 || exponent > 22)
        {
            return false;
        }

        double d64 = mantissa;
        d64 = exponent < 0 ? d64 / s_powersOf10[-exponent] : d64 * s_powersOf10[exponent];
        if (d64 < MinNormalFloat || d64 > float.MaxValue)
        {
            return false;
        }

        // Exactly on a float32 midpoint (low 29 of the 52 fraction bits are 1000...0): rounding twice could be wrong.
        if ((BitConverter.DoubleToUInt64Bits(d64) & 0x1FFF_FFFFUL) == 0x1000_0000UL)
        {
            return false;
        }

        value = (float)(negative ? -d64 : d64);
        return true;
    }

    /// <summary>Missing markers, infinities, and numbers the fast path declined (correctly rounded by the BCL).</summary>
    // Consumes the decimal digits at s[i..] into mantissa (leading zeros skipped, significant digits counted); false when
    // there are more than 19 significant digits in all (the fast path's limit).
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static bool Digits(ReadOnlySpan<byte> s, ref int i, ref ulong mantissa, ref int digits)
    {
        while (i < s.Length)
        {
            var d = (uint)(s[i] - '0');
            if (d > 9)
            {
                break;
            }

            if (mantissa != 0 || d != 0)
            {
                if (++digits > 19)
                {
                    return false;
                }

                mantissa = (mantissa * 10) + d;
            }

            i++;
        }

        return true;
    }

    private static CellKind ParseSlow(ReadOnlySpan<byte> text, out float value)
    {
        var trimmed = text.Trim((byte)' ');
        if (trimmed.IsEmpty)
        {
            value = float.NaN;
            return CellKind.Missing;
        }

        foreach (var marker in s_missingMarkers)
        {
            if (trimmed.SequenceEqual(marker))
            {
                value = float.NaN;
                return CellKind.Missing;
            }
        }

        if (IsInfinityWord(trimmed))
        {
            value = trimmed[0] == (byte)'-' ? float.NegativeInfinity : float.PositiveInfinity;
            return CellKind.Infinite;
        }

        if (trimmed.Length != text.Length && TryParseFast(trimmed, out value))
        {
            return CellKind.Number;
        }

        if (float.TryParse(trimmed, NumberStyles.Float, CultureInfo.InvariantCulture, out value))
        {
            return float.IsNaN(value) ? CellKind.Missing : float.IsInfinity(value) ? CellKind.Infinite : CellKind.Number;
        }

        value = float.NaN;
        return CellKind.Invalid;
    }

    /// <summary>True for inf, +inf, -inf, infinity, Infinity, -Infinity, INF, and the sign-prefixed forms (any case).</summary>
    private static bool IsInfinityWord(ReadOnlySpan<byte> text)
    {
        if (text.Length > 0 && text[0] is (byte)'-' or (byte)'+')
        {
            text = text[1..];
        }

        return System.Text.Ascii.EqualsIgnoreCase(text, "inf"u8) || System.Text.Ascii.EqualsIgnoreCase(text, "infinity"u8);
    }

    /// <summary>
    /// Explains why a cell is not a number: names a decimal comma ("1,5") when the text would be a number with a point,
    /// else says what is expected.
    /// </summary>
    public static string Explain(ReadOnlySpan<byte> text)
    {
        var shown = Echo.Cap(text);
        if (IsGroupedThousands(text, out var ambiguous))
        {
            // "1,000" is a thousand with a separator or one with a decimal comma; "1,000,000" and "1,234.5" have separators.
            const string Separators = "if it is a thousands separator, write the numbers without one (pandas: do not format the numbers as text with ',' between thousands, e.g. f\"{x:,}\"; a spreadsheet: a number format without thousands separators)";
            return ambiguous
                ? $"'{shown}' has a comma, which is either a decimal comma or a thousands separator (1.000 or 1000?); numbers must use '.' as the decimal point and no separators. If it is a decimal comma, re-export with a decimal point (pandas: to_csv(decimal='.')); {Separators}."
                : $"'{shown}' has thousands separators; numbers must be written without them, with '.' as the decimal point. Re-export the file: {Separators}.";
        }

        if (IsDecimalComma(text))
        {
            return $"'{shown}' uses a decimal comma; numbers must use '.' as the decimal point. Re-export the file with a decimal point (pandas: to_csv(decimal='.'); a spreadsheet: use an English number format, or replace ',' by '.' in the numbers).";
        }

        return $"'{shown}' is not a number; expected a decimal number with '.' as the decimal point (e.g. 0.0123 or 1.5e-05), or an empty cell or NaN for a missing cell.";
    }

    /// <summary>True when the text is a number written with a decimal comma ("0,0003", "1,5"): one comma, no point, and a
    /// number once the comma is a point.</summary>
    internal static bool IsDecimalComma(ReadOnlySpan<byte> text)
    {
        var comma = text.IndexOf((byte)',');
        if (comma < 0 || text.LastIndexOf((byte)',') != comma || text.IndexOf((byte)'.') >= 0)
        {
            return false;
        }

        var copy = text.ToArray();
        copy[comma] = (byte)'.';
        return TryParseFast(copy, out _) || float.TryParse(copy, NumberStyles.Float, CultureInfo.InvariantCulture, out _);
    }

    // Digits in groups of three after a first group of one to three ("1,000", "-12,345,678", "1,234.5"): thousands separated
    // by commas. Ambiguous when there is one comma and no decimal point, as "1,000" is also 1.0 written with a decimal comma.
    private static bool IsGroupedThousands(ReadOnlySpan<byte> text, out bool ambiguous)
    {
        ambiguous = false;
        var body = text.Trim(" "u8);
        if (body.Length > 0 && body[0] is (byte)'-' or (byte)'+')
        {
            body = body[1..];
        }

        var point = body.IndexOf((byte)'.');
        var integer = point >= 0 ? body[..point] : body;
        if (point >= 0 && (point == body.Length - 1 || !IsDigits(body[(point + 1)..])))
        {
            return false;
        }

        var groups = 0;
        var first = integer.IndexOf((byte)',');
        if (first is < 1 or > 3 || !IsDigits(integer[..first]))
        {
            return false;
        }

        for (var rest = integer[(first + 1)..]; ; rest = rest[4..])
        {
            groups++;
            if (rest.Length < 3 || !IsDigits(rest[..3]))
            {
                return false;
            }

            if (rest.Length == 3)
            {
                break;
            }

            if (rest[3] != (byte)',')
            {
                return false;
            }
        }

        ambiguous = groups == 1 && point < 0;
        return true;

        static bool IsDigits(ReadOnlySpan<byte> span) => !span.IsEmpty && span.IndexOfAnyExceptInRange((byte)'0', (byte)'9') < 0;
    }

    /// <summary>The message for an infinite cell.</summary>
    public static string ExplainInfinite(ReadOnlySpan<byte> text) =>
        $"'{Echo.Cap(text)}' is infinite (or beyond float32's range); forgetting values must be finite. Write NaN or leave the cell empty for a missing cell.";
}
