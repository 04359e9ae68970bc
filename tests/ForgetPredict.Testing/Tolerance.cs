namespace ForgetPredict.Testing;

/// <summary>Magnitude-scaled comparisons (System.Numerics.Tensors' AssertEqualWithTolerance idea).</summary>
public static class Tolerance
{
    /// <summary>True when |expected - actual| &lt;= relative * max(|expected|, |actual|, 1e-300) or both are NaN.</summary>
    public static bool Close(double expected, double actual, double relative) =>
        (double.IsNaN(expected) && double.IsNaN(actual)) ||
        Math.Abs(expected - actual) <= relative * Math.Max(Math.Max(Math.Abs(expected), Math.Abs(actual)), 1e-300);

    /// <summary>Asserts element-wise closeness with an absolute floor, naming the first differing index.</summary>
    public static void AssertClose(ReadOnlySpan<double> expected, ReadOnlySpan<double> actual, double relative, double absolute = 0)
    {
        if (expected.Length != actual.Length)
        {
            throw new Xunit.Sdk.XunitException($"Lengths differ: expected {expected.Length}, actual {actual.Length}.");
        }

        for (var i = 0; i < expected.Length; i++)
        {
            if (!Close(expected[i], actual[i], relative) && !(Math.Abs(expected[i] - actual[i]) <= absolute))
            {
                throw new Xunit.Sdk.XunitException($"Index {i}: expected {expected[i]:R}, actual {actual[i]:R} (relative tolerance {relative}, absolute {absolute}).");
            }
        }
    }

    /// <summary>Root mean square of a - b.</summary>
    public static double Rmse(ReadOnlySpan<double> a, ReadOnlySpan<double> b)
    {
        double s = 0;
        for (var i = 0; i < a.Length; i++)
        {
            s += (a[i] - b[i]) * (a[i] - b[i]);
        }

        return Math.Sqrt(s / Math.Max(a.Length, 1));
    }
}
