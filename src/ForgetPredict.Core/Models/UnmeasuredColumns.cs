using System.Globalization;

namespace ForgetPredict.Core.Models;

// Examples no training task measured (a NaN column: about 0.04% of columns in published data). A factor fit has nothing to
// estimate their parameters from, so its solution leaves them where the penalty puts them (zero), and the model used to predict
// them with the intervals of a measured example. Here they get the measured examples' average parameters, and the model
// widens their intervals by the spread of the measured examples' parameters (FactorModel.UnmeasuredVariance).
internal static class UnmeasuredColumns
{
    /// <summary>The examples of <paramref name="matrix"/> with no observed cell, ascending.</summary>
    public static int[] Of(ForgettingMatrix matrix)
    {
        if (matrix.MissingCount == 0)
        {
            return [];
        }

        var seen = new bool[matrix.ExampleCount];
        var unseen = matrix.ExampleCount;
        for (var i = 0; i < matrix.TaskCount && unseen > 0; i++)
        {
            var row = matrix.Row(i);
            for (var j = 0; j < row.Length; j++)
            {
                if (!seen[j] && !float.IsNaN(row[j]))
                {
                    seen[j] = true;
                    unseen--;
                }
            }
        }

        return unseen == 0 ? [] : [.. Enumerable.Range(0, seen.Length).Where(j => !seen[j])];
    }

    /// <summary>
    /// Gives the examples of <paramref name="matrix"/> with no observed cell the measured examples' average bias and factors,
    /// in place (the arrays are a fitter's own), and records them in the parameters.
    /// </summary>
    public static FactorModelParameters Mark(ForgettingMatrix matrix, FactorModelParameters parameters) =>
        Mark(Of(matrix), matrix.ExampleCount, parameters);

    /// <summary>As <see cref="Mark(ForgettingMatrix, FactorModelParameters)"/>, with the unmeasured examples already known.</summary>
    public static FactorModelParameters Mark(int[] unmeasured, int n, FactorModelParameters parameters)
    {
        if (unmeasured.Length == 0)
        {
            return parameters;
        }

        var measured = Measured(unmeasured, n);
        if (parameters.ExampleBiases.Length != 0)
        {
            Fill(parameters.ExampleBiases, measured, unmeasured);
        }

        for (var k = 0; k < parameters.Rank; k++)
        {
            Fill(parameters.ExampleFactors.AsSpan(k * n, n), measured, unmeasured);
        }

        return parameters with { UnmeasuredExamples = unmeasured };
    }

    /// <summary>
    /// The covariance (q x q, row-major) of the measured examples' parameters (b_j first when the model has example biases,
    /// then V_j[0..r)), in the order of <paramref name="parameters"/>; empty when there is no unmeasured example or no example
    /// parameter.
    /// </summary>
    public static double[] Spread(FactorModelParameters parameters)
    {
        var unmeasured = parameters.UnmeasuredExamples;
        var n = parameters.ExampleIds.Count;
        var bias = parameters.ExampleBiases.Length != 0 ? 1 : 0;
        var q = bias + parameters.Rank;
        if (unmeasured.Length == 0 || q == 0 || unmeasured.Length == n)
        {
            return [];
        }

        var measured = Measured(unmeasured, n);
        double Value(int k, int j) => bias == 1 && k == 0 ? parameters.ExampleBiases[j] : parameters.ExampleFactors[((long)(k - bias) * n) + j];
        var mean = new double[q];
        for (var k = 0; k < q; k++)
        {
            foreach (var j in measured)
            {
                mean[k] += Value(k, j);
            }

            mean[k] /= measured.Length;
        }

        var covariance = new double[q * q];
        var x = new double[q];
        foreach (var j in measured)
        {
            for (var k = 0; k < q; k++)
            {
                x[k] = Value(k, j) - mean[k];
            }

            for (var a = 0; a < q; a++)
            {
                for (var b = a; b < q; b++)
                {
                    covariance[(a * q) + b] += x[a] * x[b];
                }
            }
        }

        for (var a = 0; a < q; a++)
        {
            for (var b = a; b < q; b++)
            {
                covariance[(a * q) + b] /= measured.Length;
                covariance[(b * q) + a] = covariance[(a * q) + b];
            }
        }

        return covariance;
    }

    /// <summary>Throws unless <paramref name="unmeasured"/> lists distinct examples of 0..n-1 in ascending order, not all of them.</summary>
    public static void Check(int[] unmeasured, int n, string paramName)
    {
        ArgumentNullException.ThrowIfNull(unmeasured, paramName);
        for (var t = 0; t < unmeasured.Length; t++)
        {
            if ((uint)unmeasured[t] >= (uint)n || (t > 0 && unmeasured[t] <= unmeasured[t - 1]))
            {
                throw new ArgumentException(string.Create(CultureInfo.InvariantCulture,
                    $"Unmeasured examples must be distinct indices of the {n} examples in ascending order; entry {t} is {unmeasured[t]}."), paramName);
            }
        }

        if (unmeasured.Length == n)
        {
            throw new ArgumentException("Every example is listed as unmeasured: a fitted model measured at least one.", paramName);
        }
    }

    /// <summary>
    /// Checks a given spread of the unmeasured examples' parameters: as many values as the measured spread would have
    /// (<paramref name="length"/>, q x q), finite, symmetric, with a non-negative diagonal, and only with unmeasured examples.
    /// </summary>
    public static double[] CheckSpread(double[] given, int length, int unmeasured, string paramName)
    {
        var q = (int)Math.Round(Math.Sqrt(given.Length));
        if (unmeasured == 0 || given.Length != length || q * q != given.Length)
        {
            throw new ArgumentException(string.Create(CultureInfo.InvariantCulture,
                $"The unmeasured examples' spread has {given.Length} values; it needs {length} (example parameters squared) and unmeasured examples to apply to."), paramName);
        }

        for (var a = 0; a < q; a++)
        {
            for (var b = 0; b < q; b++)
            {
                var value = given[(a * q) + b];
                if (!double.IsFinite(value) || value != given[(b * q) + a] || (a == b && value < 0))
                {
                    throw new ArgumentException("The unmeasured examples' spread must be finite, symmetric, with a non-negative diagonal.", paramName);
                }
            }
        }

        return given;
    }

    /// <summary>How many of <paramref name="examples"/> are in the ascending list <paramref name="unmeasured"/>.</summary>
    public static int CountIn(int[] unmeasured, ReadOnlySpan<int> examples)
    {
        if (unmeasured.Length == 0)
        {
            return 0;
        }

        var count = 0;
        foreach (var j in examples)
        {
            if (Array.BinarySearch(unmeasured, j) >= 0)
            {
                count++;
            }
        }

        return count;
    }

    /// <summary>The examples of 0..n-1 not in the ascending list <paramref name="unmeasured"/>, ascending.</summary>
    public static int[] Measured(IReadOnlyList<int> unmeasured, int n)
    {
        var measured = new int[n - unmeasured.Count];
        int t = 0, u = 0;
        for (var j = 0; j < n; j++)
        {
            if (u < unmeasured.Count && unmeasured[u] == j)
            {
                u++;
            }
            else
            {
                measured[t++] = j;
            }
        }

        return measured;
    }

    private static void Fill(Span<double> values, int[] measured, int[] unmeasured)
    {
        double sum = 0;
        foreach (var j in measured)
        {
            sum += values[j];
        }

        var mean = sum / measured.Length;
        foreach (var j in unmeasured)
        {
            values[j] = mean;
        }
    }
}
