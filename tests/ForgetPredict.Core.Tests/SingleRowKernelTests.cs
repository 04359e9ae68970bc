using ForgetPredict.Core.Numerics;

namespace ForgetPredict.Core.Tests;

/// <summary>
/// The single-precision row scan (<see cref="SingleRowKernel"/>) and its selection helpers: every vector lane bit-identical to
/// the scalar cell, the sums per range right across range boundaries, the tail and exp within their stated accuracy, and
/// the mean within <see cref="SingleRowKernel.MeanErrorBound"/> of the double-precision mean.
/// </summary>
public class SingleRowKernelTests
{
    public static TheoryData<int, int, bool, bool> Shapes()
    {
        var data = new TheoryData<int, int, bool, bool>();
        foreach (var n in new[] { 0, 1, 15, 16, 63, 64, 65, 127, 128, 200, 1001 })
        {
            foreach (var (rank, constant, bias) in new[] { (0, false, true), (0, true, false), (1, true, true), (3, false, false), (5, true, true), (9, true, true) })
            {
                data.Add(n, rank, constant, bias);
            }
        }

        return data;
    }

    private sealed record Problem(SingleLayout Layout, float Offset, float[] Weights, bool HasConstant, float[] Coefficients, double[] Factors, double[] Bias, double[] Noise);

    private static Problem Make(int n, int rank, bool hasConstant, bool withBias, int seed)
    {
        var random = new Random(seed);
        var factors = Enumerable.Range(0, rank * n).Select(_ => (random.NextDouble() - 0.5) * 2).ToArray();
        var bias = withBias ? Enumerable.Range(0, n).Select(_ => random.NextDouble() * 0.3).ToArray() : [];
        // Some examples without noise and without parameter variance: a zero std is a step.
        var noise = Enumerable.Range(0, n).Select(j => j % 11 == 3 ? 0 : random.NextDouble() * 0.05).ToArray();
        var order = Enumerable.Range(0, n).OrderBy(_ => random.Next()).ToArray();
        var layout = new SingleLayout(factors, rank, bias, j => noise[j], order);
        var p = rank + (hasConstant ? 1 : 0);
        var coefficients = new float[p * (p + 1) / 2];
        for (var q = 0; q < coefficients.Length; q++)
        {
            coefficients[q] = (float)((random.NextDouble() - 0.2) * 0.01);
        }

        var weights = Enumerable.Range(0, rank).Select(_ => (float)(random.NextDouble() - 0.5)).ToArray();
        return new Problem(layout, 0.05f, weights, hasConstant, coefficients, factors, bias, noise);
    }

    private static int[] RandomRanges(int n, Random random)
    {
        // Boundaries anywhere, including empty ranges and ranges inside one 64-example block.
        var cuts = Enumerable.Range(0, random.Next(0, 6)).Select(_ => random.Next(0, n + 1)).Append(0).Append(n).Order().ToArray();
        return cuts;
    }

    [Theory]
    [MemberData(nameof(Shapes))]
    public void Scan_EveryLaneEqualsTheScalarCell_AndRangesSumTheirProbabilities(int n, int rank, bool hasConstant, bool withBias)
    {
        var problem = Make(n, rank, hasConstant, withBias, 1000 + n + (rank * 7));
        var ranges = RandomRanges(n, new Random(n + rank));
        var mean = new float[n];
        var probability = new float[n];
        var sums = new double[ranges.Length - 1];

        SingleRowKernel.Scan(problem.Layout, problem.Offset, problem.Weights, hasConstant, problem.Coefficients, 0.1f, ranges, sums, mean, probability);

        var x = new float[rank + 1];
        var expectedSums = new double[sums.Length];
        for (var t = 0; t < n; t++)
        {
            var (m, q) = SingleRowKernel.Cell(problem.Layout, t, problem.Offset, problem.Weights, hasConstant, problem.Coefficients, 0.1f, x);
            Assert.Equal(BitConverter.SingleToInt32Bits(m), BitConverter.SingleToInt32Bits(mean[t]));
            Assert.Equal(BitConverter.SingleToInt32Bits(q), BitConverter.SingleToInt32Bits(probability[t]));
            expectedSums[FindRange(ranges, t)] += q;
        }

        for (var g = 0; g < sums.Length; g++)
        {
            Assert.Equal(expectedSums[g], sums[g], 1e-6 * Math.Max(1, ranges[g + 1] - ranges[g]));
        }
    }

    private static int FindRange(int[] ranges, int t)
    {
        var g = 0;
        while (t >= ranges[g + 1])
        {
            g++;
        }

        return g;
    }

    [Fact]
    public void Scan_WithoutProbabilities_GivesTheSameMeansAndSums()
    {
        var problem = Make(1001, 5, true, true, 77);
        int[] ranges = [0, 100, 100, 640, 1001];
        var withMean = new float[1001];
        var withSums = new double[4];
        SingleRowKernel.Scan(problem.Layout, problem.Offset, problem.Weights, true, problem.Coefficients, 0.1f, ranges, withSums, withMean, new float[1001]);
        var mean = new float[1001];
        var sums = new double[4];

        SingleRowKernel.Scan(problem.Layout, problem.Offset, problem.Weights, true, problem.Coefficients, 0.1f, ranges, sums, mean, default);

        Assert.Equal(withMean, mean);
        Assert.Equal(withSums, sums);
        Assert.Equal(0, sums[1]);
    }

    [Fact]
    public void Scan_RejectsInconsistentSpans()
    {
        var problem = Make(100, 2, true, true, 5);
        var mean = new float[100];
        Assert.Throws<ArgumentException>(() => SingleRowKernel.Scan(problem.Layout, 0, problem.Weights, true, problem.Coefficients, 0, [0, 99], new double[1], mean, default));
        Assert.Throws<ArgumentException>(() => SingleRowKernel.Scan(problem.Layout, 0, problem.Weights, false, problem.Coefficients, 0, [0, 100], new double[1], mean, default));
        Assert.Throws<ArgumentException>(() => SingleRowKernel.Scan(problem.Layout, 0, problem.Weights, true, problem.Coefficients, 0, [0, 100], new double[2], mean, default));
    }

    [Fact]
    public void Mean_IsWithinTheStatedBoundOfTheDoubleMean()
    {
        var problem = Make(3000, 5, true, true, 9);
        var weights = problem.Weights.Select(w => (double)w).ToArray();
        var bound = SingleRowKernel.MeanErrorBound(problem.Layout, problem.Offset, weights);
        var x = new float[6];
        for (var t = 0; t < 3000; t++)
        {
            var j = problem.Layout.Order[t];
            double exact = problem.Offset + problem.Bias[j];
            for (var k = 0; k < 5; k++)
            {
                exact += weights[k] * problem.Factors[(k * 3000) + j];
            }

            var (m, _) = SingleRowKernel.Cell(problem.Layout, t, problem.Offset, problem.Weights, true, problem.Coefficients, 0, x);
            Assert.True(Math.Abs(m - exact) <= bound, $"example {j}: {m} vs {exact}, bound {bound}");
            Assert.True(Math.Abs(m - exact) <= bound / 4, "the bound is a worst case; typical errors are far below it");
        }
    }

    [Fact]
    public void Tail_IsWithin1e6OfTheExactNormalTail()
    {
        foreach (var m in Enumerable.Range(-400, 801).Select(i => i / 40f))
        {
            foreach (var s in new[] { 0f, 1e-9f, 0.01f, 0.3f, 1f, 2.5f, 40f })
            {
                var exact = NormalDistribution.ExceedanceProbability(m, s, 0.25f);
                var fast = SingleRowKernel.Tail(m, s, 0.25f);
                Assert.True(Math.Abs(exact - fast) <= 1e-6, $"mean {m}, std {s}: {fast} vs {exact}");
            }
        }
    }

    [Fact]
    public void Exp_IsWithin3e7RelativeOnItsRange()
    {
        for (var y = -87.0; y <= 0.5; y += 0.0137)
        {
            var exact = Math.Exp((float)y);
            Assert.True(Math.Abs(SingleRowKernel.Exp((float)y) - exact) <= 3e-7 * exact, $"exp({y})");
        }

        Assert.Equal(MathF.Exp(-87), SingleRowKernel.Exp(-1000), 1e-44);
    }

    [Theory]
    [InlineData(1, 1)]
    [InlineData(5, 1)]
    [InlineData(5, 5)]
    [InlineData(100, 3)]
    [InlineData(1000, 20)]
    [InlineData(4099, 1000)]
    public void KthLargest_EqualsTheSortedValue(int n, int k)
    {
        var random = new Random(n * k);
        // Coarse values: many repeats.
        var values = Enumerable.Range(0, n).Select(_ => MathF.Round((float)random.NextDouble() * 40) / 40).ToArray();
        Assert.Equal(values.OrderDescending().ElementAt(k - 1), SingleSelection.KthLargest(values, k));
        Assert.Throws<ArgumentOutOfRangeException>(() => SingleSelection.KthLargest(values, n + 1));
        Assert.Throws<ArgumentOutOfRangeException>(() => SingleSelection.KthLargest(values, 0));
    }

    [Theory]
    [InlineData(0)]
    [InlineData(15)]
    [InlineData(16)]
    [InlineData(17)]
    [InlineData(1000)]
    public void AtLeast_ListsExactlyThePositionsAtOrAboveTheFloor(int n)
    {
        var random = new Random(n);
        var values = Enumerable.Range(0, n).Select(_ => MathF.Round((float)random.NextDouble() * 10) / 10).ToArray();
        var positions = new List<int>();
        SingleSelection.AtLeast(values, 0.7f, positions);
        Assert.Equal(Enumerable.Range(0, n).Where(t => values[t] >= 0.7f), positions);
    }
}
