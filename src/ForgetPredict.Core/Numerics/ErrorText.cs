using System.Globalization;

namespace ForgetPredict.Core.Numerics;

/// <summary>An error (an RMSE) as reports print it, in the units of the data whatever they are.</summary>
internal static class ErrorText
{
    /// <summary>
    /// Four decimals where that keeps four significant digits or fewer than eight characters (1e-3 to 1e4: 0.1209, 12.5000),
    /// else four significant digits in scientific notation (1.209E-9, 1.199E+5), so a matrix in small or large units does not
    /// print every error as 0.0000 or as a dozen digits.
    /// </summary>
    public static string Format(double error) =>
        error == 0 || !double.IsFinite(error) || (Math.Abs(error) >= 1e-3 && Math.Abs(error) < 1e4)
            ? error.ToString("0.0000", CultureInfo.InvariantCulture)
            : error.ToString("0.000E+0", CultureInfo.InvariantCulture);
}
