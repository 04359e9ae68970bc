using ForgetPredict.Core.Numerics;
using ForgetPredict.Testing;

namespace ForgetPredict.Core.Tests;

/// <summary>Every vectorised kernel against its scalar reference, at every tail length 0..67 and a few large lengths.</summary>
public class KernelTests
{
    public static TheoryData<int> Lengths()
    {
        var data = new TheoryData<int>();
        foreach (var n in Enumerable.Range(0, 68).Concat([255, 256, 257, 1000, 4099]))
        {
            data.Add(n);
        }

        return data;
    }

    private static float[] RandomValues(int n, int seed, double nanRate = 0.1, bool binary = false)
    {
        var random = new Random(seed);
        var values = new float[n];
        for (var i = 0; i < n; i++)
        {
            values[i] = random.NextDouble() < nanRate ? float.NaN
                : binary ? random.Next(2)
                : (float)((random.NextDouble() * 2) - 0.5);
        }

        return values;
    }

    // A random p x p positive semi-definite matrix A A^T, row-major.
    private static double[] RandomGram(int p, Random random)
    {
        var a = Enumerable.Range(0, p * p).Select(_ => random.NextDouble() - 0.5).ToArray();
        var c = new double[p * p];
        for (var i = 0; i < p; i++)
        {
            for (var j = 0; j < p; j++)
            {
                for (var k = 0; k < p; k++)
                {
                    c[(i * p) + j] += a[(i * p) + k] * a[(j * p) + k];
                }
            }
        }

        return c;
    }

    [Theory]
    [MemberData(nameof(Lengths))]
    public void Scan_MatchesScalarReference(int n)
    {
        foreach (var binary in new[] { false, true })
        {
            var values = RandomValues(n, 20230828 + n, binary: binary);
            var expected = ScalarReference.Scan(values);
            var actual = ValueScan.Scan(values);
            Assert.Equal(expected, (actual.MissingCount, actual.FirstInfinity, actual.AllBinary, actual.HasScale));
        }
    }

    [Theory]
    [MemberData(nameof(Lengths))]
    public void Scan_HasScale_OnlyWhenSomeValueReaches2ToTheMinus126_AtEveryPosition(int n)
    {
        Assert.Equal(ValueScan.SmallestScale, Math.ScaleB(1f, -126));
        if (n == 0)
        {
            return;
        }

        var random = new Random(n);
        var values = new float[n];
        for (var i = 0; i < n; i++)
        {
            values[i] = random.Next(5) == 0 ? float.NaN : (float)((random.NextDouble() - 0.5) * 2e-38); // all below the scale (subnormals)
        }

        Assert.False(ValueScan.Scan(values).HasScale);
        Assert.False(ScalarReference.Scan(values).HasScale);
        var position = random.Next(n);
        values[position] = random.Next(2) == 0 ? -ValueScan.SmallestScale : ValueScan.SmallestScale;
        Assert.True(ValueScan.Scan(values).HasScale);
        Assert.True(ScalarReference.Scan(values).HasScale);
        values[position] = MathF.BitDecrement(ValueScan.SmallestScale);
        Assert.False(ValueScan.Scan(values).HasScale);
    }

    [Theory]
    [MemberData(nameof(Lengths))]
    public void SumOfSquares_IsBitIdenticalToScalarReference(int n)
    {
        foreach (var nanRate in new[] { 0.0, 0.1, 1.0 })
        {
            var values = RandomValues(n, 31 + n, nanRate);
            Assert.Equal(ScalarReference.SumOfSquares(values), ValueScan.SumOfSquares(values));
        }
    }

    [Fact]
    public void SumOfSquares_SkipsNaNAndSquaresInDouble()
    {
        // 3e20^2 overflows float but not double; NaN cells add nothing.
        float[] values = [3e20f, float.NaN, -2, 0.5f, float.NaN, 1, 1, 1, 1, 1, 1];
        Assert.Equal(((double)3e20f * 3e20f) + 4 + 0.25 + 6, ValueScan.SumOfSquares(values));
    }

    [Theory]
    [MemberData(nameof(Lengths))]
    public void Scan_FindsFirstInfinityAtEveryPosition(int n)
    {
        if (n == 0)
        {
            return;
        }

        var random = new Random(n);
        var values = RandomValues(n, n);
        var position = random.Next(n);
        values[position] = random.Next(2) == 0 ? float.PositiveInfinity : float.NegativeInfinity;
        var later = Math.Min(n - 1, position + 3);
        values[later] = float.PositiveInfinity;
        Assert.Equal(position, ValueScan.Scan(values).FirstInfinity);
        Assert.Equal(ScalarReference.Scan(values).Missing, ValueScan.Scan(values).MissingCount);
    }

    [Theory]
    [MemberData(nameof(Lengths))]
    public void MaskedResidual_IsBitIdenticalToScalarReference(int n)
    {
        var z = RandomValues(n, 7 + n);
        var random = new Random(n);
        var offset = Enumerable.Range(0, n).Select(_ => random.NextDouble()).ToArray();
        foreach (var useOffset in new[] { false, true })
        {
            var expected = new double[n];
            var actual = new double[n];
            var o = useOffset ? offset : [];
            var missingExpected = ScalarReference.MaskedResidual(z, o, 0.125, expected);
            var missingActual = Residuals.Masked(z, o, 0.125, actual);
            Assert.Equal(missingExpected, missingActual);
            Assert.Equal(expected, actual);
        }
    }

    [Fact]
    public void MaskedResidual_MismatchedLengths_Throws()
    {
        Assert.Throws<ArgumentException>(() => Residuals.Masked(new float[3], default, 0, new double[2]));
        Assert.Throws<ArgumentException>(() => Residuals.Masked(new float[3], new double[2], 0, new double[3]));
    }

    [Theory]
    [MemberData(nameof(Lengths))]
    public void Widen_MatchesScalarCast(int n)
    {
        var z = RandomValues(n, 11 + n);
        var actual = new double[n];
        Residuals.Widen(z, actual);
        Assert.Equal(z.Select(v => (double)v).ToArray(), actual);
    }

    [Theory]
    [InlineData(0, true)]
    [InlineData(1, false)]
    [InlineData(1, true)]
    [InlineData(3, true)]
    [InlineData(5, true)]
    [InlineData(8, false)]
    [InlineData(12, true)]
    public void RowPrediction_MatchesScalarReference(int rank, bool constant)
    {
        var p = rank + (constant ? 1 : 0);
        var random = new Random(rank * 31);
        var c = RandomGram(p, random);

        var weights = Enumerable.Range(0, rank).Select(_ => random.NextDouble() - 0.5).ToArray();
        foreach (var n in Enumerable.Range(0, 68).Concat([1000]))
        {
            var stride = n + 5;
            var factors = Enumerable.Range(0, Math.Max(rank, 1) * stride).Select(_ => random.NextDouble() - 0.5).ToArray();
            var bias = Enumerable.Range(0, stride).Select(_ => random.NextDouble()).ToArray();
            foreach (var withBias in new[] { false, true })
            {
                var b = withBias ? bias : [];
                double[] expectedMean = new double[n], expectedVariance = new double[n], mean = new double[n], variance = new double[n];
                ScalarReference.RowPrediction(factors, stride, rank, weights, b, 0.25, 3, expectedMean, constant, c, expectedVariance);
                RowPrediction.Evaluate(factors, stride, rank, weights, b, 0.25, 3, mean, constant, c, variance);
                Tolerance.AssertClose(expectedMean, mean, 1e-12, 1e-15);
                Tolerance.AssertClose(expectedVariance, variance, 1e-12, 1e-15);

                // Mean only: the variance span may be empty.
                var meanOnly = new double[n];
                RowPrediction.Evaluate(factors, stride, rank, weights, b, 0.25, 3, meanOnly, constant, default, default);
                Assert.Equal(mean, meanOnly);
            }
        }
    }

    [Fact]
    public void WidestVector_IsTheOneTheRunAskedFor()
    {
        // make test reruns these tests with AVX-512 disabled (FP_KERNEL_WIDTH=256: DOTNET_EnableAVX512F=0, and its .NET 10
        // name DOTNET_EnableAVX512=0) and with AVX2 disabled (FP_KERNEL_WIDTH=128: DOTNET_EnableAVX2=0); this fails if a
        // switch stops taking effect, so the narrower bodies can never silently go untested.
        var asked = Environment.GetEnvironmentVariable("FP_KERNEL_WIDTH");
        var widest = System.Runtime.Intrinsics.Vector512.IsHardwareAccelerated ? "512"
            : System.Runtime.Intrinsics.Vector256.IsHardwareAccelerated ? "256"
            : System.Runtime.Intrinsics.Vector128.IsHardwareAccelerated ? "128" : "scalar";
        if (asked is { Length: > 0 })
        {
            Assert.Equal(asked, widest);
        }
    }

    [Theory]
    [InlineData(0, true)]
    [InlineData(1, false)]
    [InlineData(4, true)]
    [InlineData(7, true)]
    public void RowPrediction_EveryLaneIsBitIdenticalToTheScalarLoop(int rank, bool constant)
    {
        // Given: a positive semi-definite C and random factors; one call runs the widest vectors the machine has, the
        // narrower ones and the scalar tail (make test repeats this with AVX-512 and AVX2 disabled, so every width runs).
        var p = rank + (constant ? 1 : 0);
        var random = new Random(97 + rank);
        var c = RandomGram(p, random);

        var weights = Enumerable.Range(0, rank).Select(_ => random.NextDouble() - 0.5).ToArray();
        foreach (var n in Enumerable.Range(0, 40).Concat([257]))
        {
            var stride = n + 3;
            var factors = Enumerable.Range(0, Math.Max(rank, 1) * stride).Select(_ => random.NextDouble() - 0.5).ToArray();
            var bias = Enumerable.Range(0, stride).Select(_ => random.NextDouble()).ToArray();
            double[] mean = new double[n], variance = new double[n];

            // When: the whole row at once, then each example alone (a one-element row only runs the scalar loop)
            RowPrediction.Evaluate(factors, stride, rank, weights, bias, 0.25, 2, mean, constant, c, variance);

            // Then
            for (var t = 0; t < n; t++)
            {
                double[] oneMean = new double[1], oneVariance = new double[1];
                RowPrediction.Evaluate(factors, stride, rank, weights, bias, 0.25, 2 + t, oneMean, constant, c, oneVariance);
                Assert.Equal(BitConverter.DoubleToInt64Bits(oneMean[0]), BitConverter.DoubleToInt64Bits(mean[t]));
                Assert.Equal(BitConverter.DoubleToInt64Bits(oneVariance[0]), BitConverter.DoubleToInt64Bits(variance[t]));
            }
        }
    }

    [Theory]
    [MemberData(nameof(Lengths))]
    public void NeighbourKernel_IsTheScalarFormulaBitForBit(int n)
    {
        // Given: 13 rows of n + 5 floats, 11 neighbours in a scrambled order (two passes of the kernel's neighbour groups), a
        // range starting at example 3 (lengths over 512 span several chunks)
        var random = new Random(31 + n);
        var stride = n + 5;
        var values = Enumerable.Range(0, 13 * stride).Select(_ => (float)(random.NextDouble() - 0.3)).ToArray();
        int[] rows = [4, 1, 12, 5, 0, 9, 2, 11, 7, 3, 8];
        var bias = rows.Select(_ => random.NextDouble() - 0.5).ToArray();
        var weights = rows.Select(_ => random.NextDouble() / 4).ToArray();
        var offset = Enumerable.Range(0, n).Select(_ => random.NextDouble() - 0.5).ToArray();
        var initial = Enumerable.Range(0, n).Select(_ => random.NextDouble()).ToArray();
        var meanWeights = rows.Select(_ => random.NextDouble() - 0.4).ToArray(); // signed, not summing to 1: interpolation weights
        var expectedMean = new double[n];
        var expectedStd = new double[n];
        var expectedInterpolated = new double[n];
        for (var t = 0; t < n; t++)
        {
            double m = 0, s = 0, p = 0;
            for (var i = 0; i < rows.Length; i++)
            {
                var r = ((double)values[(rows[i] * stride) + 3 + t] - (offset[t] + 0.375)) - bias[i];
                m = (r * weights[i]) + m;
                s = ((r * r) * weights[i]) + s;
                p = (r * meanWeights[i]) + p;
            }

            expectedMean[t] = initial[t] + m;
            expectedStd[t] = Math.Sqrt(Math.Max(s - (m * m), 0));
            expectedInterpolated[t] = initial[t] + p;
        }

        // When: the vector kernel with and without the spread, and the scalar reference
        var mean = initial.ToArray();
        var std = new double[n];
        NeighbourKernel.Accumulate(values, stride, rows, bias, weights, offset, 0.375, 3, mean, std);
        var meanOnly = initial.ToArray();
        NeighbourKernel.Accumulate(values, stride, rows, bias, weights, offset, 0.375, 3, meanOnly, default);
        var referenceMean = initial.ToArray();
        var referenceStd = new double[n];
        NeighbourKernel.Reference(values, stride, rows, bias, weights, offset, 0.375, 3, referenceMean, referenceStd);
        var (interpolated, interpolatedStd) = (initial.ToArray(), new double[n]);
        NeighbourKernel.Accumulate(values, stride, rows, bias, weights, offset, 0.375, 3, interpolated, interpolatedStd, meanWeights);
        var (referenceInterpolated, referenceInterpolatedStd) = (initial.ToArray(), new double[n]);
        NeighbourKernel.Reference(values, stride, rows, bias, weights, offset, 0.375, 3, referenceInterpolated, referenceInterpolatedStd, meanWeights);

        // Then: every lane of every width is the scalar expression's bits; with mean weights the mean takes them and the
        // spread keeps the weights
        Assert.Equal(expectedMean, mean);
        Assert.Equal(expectedStd, std);
        Assert.Equal(expectedMean, meanOnly);
        Assert.Equal(expectedMean, referenceMean);
        Assert.Equal(expectedStd, referenceStd);
        Assert.Equal(expectedInterpolated, interpolated);
        Assert.Equal(expectedStd, interpolatedStd);
        Assert.Equal(expectedInterpolated, referenceInterpolated);
        Assert.Equal(expectedStd, referenceInterpolatedStd);
        Assert.Throws<ArgumentException>(() => NeighbourKernel.Accumulate(values, stride, rows, bias, weights, offset, 0.375, 6, new double[n], default));
        Assert.Throws<ArgumentException>(() => NeighbourKernel.Accumulate(values, stride, rows, bias, weights, offset, 0.375, 3, new double[n], default, meanWeights.AsSpan(1)));
    }

    [Theory]
    [MemberData(nameof(Lengths))]
    public void NeighbourKernel_CellsAreTheRowsValuesBitForBit(int n)
    {
        // Given: the whole row of n + 1 examples through the vector kernel, with and without mean weights
        var random = new Random(57 + n);
        var stride = n + 1;
        var values = Enumerable.Range(0, 13 * stride).Select(_ => (float)(random.NextDouble() - 0.3)).ToArray();
        int[] rows = [4, 1, 12, 5, 0, 9, 2, 11, 7, 3, 8];
        var bias = rows.Select(_ => random.NextDouble() - 0.5).ToArray();
        var weights = rows.Select(_ => random.NextDouble() / 4).ToArray();
        var meanWeights = rows.Select(_ => random.NextDouble() - 0.4).ToArray();
        var offset = Enumerable.Range(0, stride).Select(_ => random.NextDouble() - 0.5).ToArray();
        int[] examples = [.. Enumerable.Range(0, stride).Where(j => j % 3 != 1).Reverse(), 0, stride - 1];
        foreach (var mw in new[] { Array.Empty<double>(), meanWeights })
        {
            var (rowMean, rowStd) = (new double[stride], new double[stride]);
            NeighbourKernel.Accumulate(values, stride, rows, bias, weights, offset, 0.375, 0, rowMean, rowStd, mw);

            // When: scrambled examples with repeats, one at a time
            var (mean, std, meanOnly) = (new double[examples.Length], new double[examples.Length], new double[examples.Length]);
            NeighbourKernel.AccumulateCells(values, stride, rows, bias, weights, offset, 0.375, examples, mean, std, mw);
            NeighbourKernel.AccumulateCells(values, stride, rows, bias, weights, offset, 0.375, examples, meanOnly, default, mw);

            // Then: each is the row's value for its example, bit for bit
            Assert.Equal(examples.Select(j => rowMean[j]), mean);
            Assert.Equal(examples.Select(j => rowStd[j]), std);
            Assert.Equal(mean, meanOnly);
        }

        Assert.Throws<ArgumentException>(() => NeighbourKernel.AccumulateCells(values, stride, rows, bias, weights, offset, 0.375, [stride], new double[1], default));
        Assert.Throws<ArgumentException>(() => NeighbourKernel.AccumulateCells(values, stride, rows, bias, weights, offset.AsSpan(1), 0.375, [0], new double[1], default));
        Assert.Throws<ArgumentException>(() => NeighbourKernel.AccumulateCells(values, stride, rows, bias, weights, offset, 0.375, [0, 1], new double[1], default));
    }

    [Theory]
    [InlineData(0, true)]
    [InlineData(1, false)]
    [InlineData(4, true)]
    [InlineData(8, false)]
    public void RowPrediction_CellsAreTheRowsValuesBitForBit(int rank, bool constant)
    {
        // Given: rows of every length up to 40 and one of 1,000 (the vector bodies, then the scalar tail), with and without
        // example biases, through the whole-row kernel: mean and variance, and the mean alone (TensorPrimitives passes)
        var p = rank + (constant ? 1 : 0);
        var random = new Random(211 + rank);
        var c = RandomGram(p, random);
        var weights = Enumerable.Range(0, rank).Select(_ => random.NextDouble() - 0.5).ToArray();
        foreach (var n in Enumerable.Range(1, 40).Concat([1000]))
        {
            var factors = Enumerable.Range(0, Math.Max(rank, 1) * n).Select(_ => random.NextDouble() - 0.5).ToArray();
            var bias = Enumerable.Range(0, n).Select(_ => random.NextDouble()).ToArray();
            int[] examples = [.. Enumerable.Range(0, n).Where(j => j % 4 != 2).Reverse(), 0, n - 1];
            foreach (var b in new[] { Array.Empty<double>(), bias })
            {
                double[] rowMean = new double[n], rowVariance = new double[n], rowMeanOnly = new double[n];
                RowPrediction.Evaluate(factors, n, rank, weights, b, 0.25, 0, rowMean, constant, c, rowVariance);
                RowPrediction.Evaluate(factors, n, rank, weights, b, 0.25, 0, rowMeanOnly, constant, default, default);

                // When: scrambled examples with repeats
                double[] mean = new double[examples.Length], variance = new double[examples.Length], meanOnly = new double[examples.Length];
                RowPrediction.EvaluateCells(factors, n, rank, weights, b, 0.25, examples, mean, constant, c, variance);
                RowPrediction.EvaluateCells(factors, n, rank, weights, b, 0.25, examples, meanOnly, constant, default, default);

                // Then: the row's bits for each example, on both paths
                Assert.Equal(examples.Select(j => rowMean[j]), mean);
                Assert.Equal(examples.Select(j => rowVariance[j]), variance);
                Assert.Equal(examples.Select(j => rowMeanOnly[j]), meanOnly);
            }
        }

        Assert.Throws<ArgumentException>(() => RowPrediction.EvaluateCells(new double[10], 10, 1, [0.5], default, 0, [0, 1], new double[1], false, default, default));
        Assert.Throws<ArgumentException>(() => RowPrediction.EvaluateCells(new double[20], 10, 2, [0.5, 0.5], default, 0, [10], new double[1], false, default, default));
    }

    [Theory]
    [InlineData(0, true)]
    [InlineData(1, false)]
    [InlineData(5, true)]
    [InlineData(8, true)]
    public void RowPrediction_StdInThePassIsTheThreePassesBitForBit(int rank, bool constant)
    {
        // Given: rows of every length up to 40 and one of 1,000 starting at example 3, C with a negative direction so that some
        // quadratic forms are below 0 (the maximum matters), per-example noise and one noise for all
        var p = rank + (constant ? 1 : 0);
        var random = new Random(307 + rank);
        var c = RandomGram(p, random);
        c[0] -= 2; // indefinite
        var weights = Enumerable.Range(0, rank).Select(_ => random.NextDouble() - 0.5).ToArray();
        foreach (var n in Enumerable.Range(0, 41).Concat([1000]))
        {
            var stride = n + 3;
            var factors = Enumerable.Range(0, Math.Max(rank, 1) * stride).Select(_ => random.NextDouble() - 0.5).ToArray();
            var bias = Enumerable.Range(0, stride).Select(_ => random.NextDouble()).ToArray();
            var exampleNoise = Enumerable.Range(0, stride).Select(_ => random.NextDouble() / 10).ToArray();
            foreach (var perExample in new[] { false, true })
            {
                // When: the kernel with its variance, then max, add and sqrt as separate passes; and the fused kernel
                double[] mean = new double[n], std = new double[n], fusedMean = new double[n], fusedStd = new double[n];
                RowPrediction.Evaluate(factors, stride, rank, weights, bias, 0.25, 3, mean, constant, c, std);
                System.Numerics.Tensors.TensorPrimitives.Max(std, 0, std);
                if (perExample)
                {
                    System.Numerics.Tensors.TensorPrimitives.Add(std, exampleNoise.AsSpan(3, n), std);
                }
                else
                {
                    System.Numerics.Tensors.TensorPrimitives.Add(std, 0.0625, std);
                }

                System.Numerics.Tensors.TensorPrimitives.Sqrt(std, std);
                if (n > 0)
                {
                    RowPrediction.EvaluateStd(factors, stride, rank, weights, bias, 0.25, 3, fusedMean, constant, c, fusedStd, perExample ? exampleNoise : default, 0.0625);
                }

                // Then
                Assert.Equal(mean, fusedMean);
                Assert.Equal(std, fusedStd);
            }
        }

        Assert.Throws<ArgumentException>(() => RowPrediction.EvaluateStd(new double[10], 10, 1, [0.5], default, 0, 0, new double[10], false, new double[1], new double[10], new double[5], 0));
        Assert.Throws<ArgumentException>(() => RowPrediction.EvaluateStd(new double[10], 10, 1, [0.5], default, 0, 0, new double[10], false, new double[1], default, default, 0));
    }

    [Theory]
    [MemberData(nameof(Lengths))]
    public void NormalTail_EveryLaneMatchesTheScalarForm(int n)
    {
        // Given: means around the threshold, stds including zeros (a step) and tiny and large values
        var random = new Random(4000 + n);
        var mean = Enumerable.Range(0, n).Select(_ => (random.NextDouble() * 4) - 2).ToArray();
        var std = Enumerable.Range(0, n).Select(i => (i % 11) switch { 0 => 0, 1 => 1e-300, 2 => 1e6, _ => random.NextDouble() * 2 }).ToArray();
        var actual = new double[n];

        // When
        NormalTail.Exceedance(mean, std, 0.25, actual);

        // Then: the vector Exp differs from Math.Exp in the last bits only
        for (var j = 0; j < n; j++)
        {
            Assert.Equal(NormalTail.Scalar(mean[j], std[j], 0.25), actual[j], 1e-15);
        }
    }

    [Fact]
    public void Cholesky_SolvesSymmetricPositiveDefiniteSystems()
    {
        var random = new Random(5);
        foreach (var n in new[] { 1, 2, 6, 9 })
        {
            var b = Enumerable.Range(0, n * n).Select(_ => random.NextDouble()).ToArray();
            var a = new double[n * n];
            for (var i = 0; i < n; i++)
            {
                for (var j = 0; j < n; j++)
                {
                    for (var k = 0; k < n; k++)
                    {
                        a[(i * n) + j] += b[(i * n) + k] * b[(j * n) + k];
                    }
                }

                a[(i * n) + i] += 0.5;
            }

            var x = Enumerable.Range(0, n).Select(i => (double)i - 1).ToArray();
            var rhs = new double[n];
            for (var i = 0; i < n; i++)
            {
                for (var j = 0; j < n; j++)
                {
                    rhs[i] += a[(i * n) + j] * x[j];
                }
            }

            var factor = (double[])a.Clone();
            Assert.True(Cholesky.Factor(factor, n));
            Cholesky.Solve(factor, n, rhs);
            Tolerance.AssertClose(x, rhs, 1e-10, 1e-12);
        }
    }

    [Fact]
    public void Cholesky_RefusesIndefiniteMatrix()
    {
        double[] a = [1, 2, 2, 1];
        Assert.False(Cholesky.Factor(a, 2));
    }

    [Fact]
    public void SymmetricEigen_ReconstructsTheMatrix()
    {
        var random = new Random(9);
        foreach (var n in new[] { 1, 2, 5, 17, 40 })
        {
            var a = new double[n * n];
            for (var i = 0; i < n; i++)
            {
                for (var j = 0; j <= i; j++)
                {
                    a[(i * n) + j] = a[(j * n) + i] = random.NextDouble() - 0.5;
                }
            }

            var eigen = SymmetricEigen.Decompose(a, n, computeVectors: true);
            var v = eigen.Vectors!;
            for (var i = 0; i < n; i++)
            {
                for (var j = 0; j < n; j++)
                {
                    double s = 0;
                    for (var k = 0; k < n; k++)
                    {
                        s += v[(i * n) + k] * eigen.Values[k] * v[(j * n) + k];
                    }

                    Assert.True(Math.Abs(s - a[(i * n) + j]) < 1e-11, $"n={n} ({i},{j}): {s} vs {a[(i * n) + j]}");
                }
            }

            for (var k = 1; k < n; k++)
            {
                Assert.True(eigen.Values[k - 1] >= eigen.Values[k]);
            }

            var valuesOnly = SymmetricEigen.Decompose(a, n, computeVectors: false);
            Tolerance.AssertClose(eigen.Values, valuesOnly.Values, 1e-12, 1e-13);
        }
    }
}
