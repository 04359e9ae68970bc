using System.Numerics.Tensors;
using ForgetPredict.Core.Numerics;

namespace ForgetPredict.Core.Tests;

/// <summary>
/// The kernels of the fit (<see cref="ColumnAccumulation"/>, <see cref="RowAccumulation"/>, <see cref="Cholesky.SolveMany"/>, <see cref="GramKernel"/>)
/// against the row-by-row and column-by-column code they replace: bit-identical where they keep its order, to rounding where
/// they sum lane by lane, at every tail length (make test reruns these at 256 and 128 bits).
/// </summary>
public class SweepKernelTests
{
    public static TheoryData<int, int, int> Shapes()
    {
        var data = new TheoryData<int, int, int>();
        foreach (var width in Enumerable.Range(0, 34).Concat([255, 1000, 1024]))
        {
            foreach (var (rows, q) in new[] { (1, 1), (4, 6), (7, 3), (9, 9), (0, 2) })
            {
                data.Add(width, rows, q);
            }
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(Shapes))]
    public void ColumnAccumulation_IsBitIdenticalToOnePassPerRowAndFactor(int width, int rows, int q) =>
        AssertAccumulationIsOnePassPerRow(width, rows, q, gaps: false);

    [Theory]
    [MemberData(nameof(Shapes))]
    public void ColumnAccumulation_WithGaps_IsBitIdenticalToOneMaskedPassPerRowAndFactor(int width, int rows, int q) =>
        AssertAccumulationIsOnePassPerRow(width, rows, q, gaps: true);

    private static void AssertAccumulationIsOnePassPerRow(int width, int rows, int q, bool gaps)
    {
        // Given: a slab of float cells with a row stride wider than the slab (with gaps: a fifth of them NaN, in every lane and
        // the scalar tail), shifts, features and non-zero accumulators
        var random = new Random((width * 31) + (rows * 7) + q);
        var stride = width + 5;
        var z = Enumerable.Range(0, (rows * stride) + 3).Select(_ => gaps && random.Next(5) == 0 ? float.NaN : (float)((random.NextDouble() * 4) - 1)).ToArray();
        var shifts = Enumerable.Range(0, rows).Select(_ => random.NextDouble() - 0.5).ToArray();
        var features = Enumerable.Range(0, rows * q).Select(_ => random.NextDouble() - 0.5).ToArray();
        var start = Enumerable.Range(0, q * width).Select(_ => random.NextDouble()).ToArray();
        var startSquares = Enumerable.Range(0, width).Select(_ => random.NextDouble()).ToArray();
        const double scale = 0.37;

        // When: the kernel, and the loops it replaced (one masked residual per row, one MultiplyAdd per factor)
        var acc = (double[])start.Clone();
        var squares = (double[])startSquares.Clone();
        if (gaps)
        {
            ColumnAccumulation.AccumulateMasked(z, stride, rows, scale, shifts, features, q, acc, squares);
        }
        else
        {
            ColumnAccumulation.Accumulate(z, stride, rows, scale, shifts, features, q, acc, squares);
        }

        var expected = (double[])start.Clone();
        var expectedSquares = (double[])startSquares.Clone();
        var y = new double[width];
        for (var t = 0; t < rows; t++)
        {
            Residuals.Masked(z.AsSpan(t * stride, width), scale, default, shifts[t], y);
            for (var k = 0; k < q; k++)
            {
                var a = expected.AsSpan(k * width, width);
                TensorPrimitives.MultiplyAdd(y, features[(t * q) + k], a, a);
            }

            TensorPrimitives.MultiplyAdd(y, y, expectedSquares, expectedSquares);
        }

        // Then: every bit
        Assert.Equal(expected, acc);
        Assert.Equal(expectedSquares, squares);
    }

    [Theory]
    [InlineData(0, 3)]
    [InlineData(5, 1)]
    [InlineData(9, 6)]
    [InlineData(70, 32)]
    public void ColumnAccumulation_OfDoubleRows_IsBitIdenticalToOnePassPerRowAndFactor(int width, int q)
    {
        // Given: double rows with a wider stride and coefficients read with a stride wider than q (eigenvector columns)
        const int rows = 11;
        var random = new Random(width + (100 * q));
        var stride = width + 2;
        var coefficientStride = q + 3;
        var y = Enumerable.Range(0, rows * stride).Select(_ => random.NextDouble() - 0.5).ToArray();
        var coefficients = Enumerable.Range(0, rows * coefficientStride).Select(_ => random.NextDouble() - 0.5).ToArray();

        // When
        var acc = new double[q * width];
        ColumnAccumulation.Accumulate(y, stride, rows, coefficients, coefficientStride, q, acc, width);

        // Then
        var expected = new double[q * width];
        for (var t = 0; t < rows; t++)
        {
            for (var k = 0; k < q; k++)
            {
                var a = expected.AsSpan(k * width, width);
                TensorPrimitives.MultiplyAdd(y.AsSpan(t * stride, width), coefficients[(t * coefficientStride) + k], a, a);
            }
        }

        Assert.Equal(expected, acc);
    }

    [Theory]
    [InlineData(0, 0, true)]
    [InlineData(7, 1, false)]
    [InlineData(8, 4, true)]
    [InlineData(33, 5, true)]
    [InlineData(1024, 9, true)]
    [InlineData(1001, 3, false)]
    public void RowAccumulation_AddsTheRowsSumAndItsDotProductWithEveryFactor(int width, int rank, bool constant)
    {
        // Given: a row slice, its offsets, factor rows a stride apart and a right-hand side that already holds values
        var random = new Random((width * 17) + rank);
        const int stride = 1100;
        const double scale = 0.61;
        var z = Enumerable.Range(0, width).Select(_ => (float)((random.NextDouble() * 3) - 1)).ToArray();
        var offset = Enumerable.Range(0, width).Select(_ => random.NextDouble()).ToArray();
        var factors = Enumerable.Range(0, rank * stride).Select(_ => random.NextDouble() - 0.5).ToArray();
        var first = constant ? 1 : 0;
        var start = Enumerable.Range(0, first + rank).Select(_ => random.NextDouble()).ToArray();

        // When
        var rhs = (double[])start.Clone();
        RowAccumulation.Accumulate(z, scale, offset, factors, stride, rank, constant, rhs);

        // Then: each entry is its start plus the sum (to rounding: the kernel sums lane by lane)
        var y = z.Select((v, j) => ((double)v * scale) - offset[j]).ToArray();
        if (constant)
        {
            Assert.Equal(start[0] + y.Sum(), rhs[0], 1e-12 * (width + 1));
        }

        for (var k = 0; k < rank; k++)
        {
            var dot = Enumerable.Range(0, width).Sum(j => factors[(k * stride) + j] * y[j]);
            Assert.Equal(start[first + k] + dot, rhs[first + k], 1e-12 * (width + 1));
        }

        // And: the same input gives the same bits again
        var again = (double[])start.Clone();
        RowAccumulation.Accumulate(z, scale, offset, factors, stride, rank, constant, again);
        Assert.Equal(rhs, again);
    }

    [Theory]
    [InlineData(7, 1, false)]
    [InlineData(8, 4, true)]
    [InlineData(33, 5, true)]
    [InlineData(1024, 9, true)]
    [InlineData(1001, 3, false)]
    public void RowAccumulation_WithGaps_IsTheSlicesSumsWithEachMissingCellAtItsOffset(int width, int rank, bool constant)
    {
        // Given: a row slice with a fifth of its cells missing (in vector lanes and the scalar tail), and the same slice complete,
        // each missing cell given a value v and offset v * scale, so that its y is exactly zero
        var random = new Random((width * 13) + rank);
        const int stride = 1100;
        const double scale = 0.61;
        var complete = Enumerable.Range(0, width).Select(_ => (float)((random.NextDouble() * 3) - 1)).ToArray();
        var offset = Enumerable.Range(0, width).Select(_ => random.NextDouble()).ToArray();
        var gappy = (float[])complete.Clone();
        var zeroOffset = (double[])offset.Clone();
        for (var j = 0; j < width; j++)
        {
            if (random.Next(5) == 0)
            {
                gappy[j] = float.NaN;
                zeroOffset[j] = complete[j] * scale;
            }
        }

        var factors = Enumerable.Range(0, rank * stride).Select(_ => random.NextDouble() - 0.5).ToArray();
        var start = Enumerable.Range(0, (constant ? 1 : 0) + rank).Select(_ => random.NextDouble()).ToArray();

        // When
        var masked = (double[])start.Clone();
        RowAccumulation.AccumulateMasked(gappy, scale, offset, factors, stride, rank, constant, masked);
        var expected = (double[])start.Clone();
        RowAccumulation.Accumulate(complete, scale, zeroOffset, factors, stride, rank, constant, expected);

        // Then: every bit, and the gaps did count as zeros
        Assert.Equal(expected, masked);
        Assert.Contains(gappy, float.IsNaN);
    }

    [Fact]
    public void ColumnAccumulation_RefusesSpansShorterThanTheShape()
    {
        var ex = Assert.Throws<ArgumentException>(() => ColumnAccumulation.Accumulate(new float[10], 8, 2, 1, new double[2], new double[2], 1, new double[8], new double[8]));
        Assert.Contains("too short", ex.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(1, 7)]
    [InlineData(4, 8)]
    [InlineData(5, 33)]
    [InlineData(9, 0)]
    [InlineData(11, 257)]
    [InlineData(85, 256)]
    public void GramKernel_AddsEveryPairwiseProductOfTheLowerTriangle(int m, int width)
    {
        // Given: rows and a packed lower triangle that already holds values
        var random = new Random((m * 1000) + width);
        var rows = Enumerable.Range(0, m * width).Select(_ => random.NextDouble() - 0.5).ToArray();
        var start = Enumerable.Range(0, m * (m + 1) / 2).Select(_ => random.NextDouble()).ToArray();

        // When
        var g = (double[])start.Clone();
        GramKernel.AddProducts(rows, m, width, g);

        // Then: each entry is the start plus the dot product (to rounding: the kernel sums lane by lane)
        for (var a = 0; a < m; a++)
        {
            for (var b = 0; b <= a; b++)
            {
                double dot = 0, magnitude = 0;
                for (var j = 0; j < width; j++)
                {
                    dot += rows[(a * width) + j] * rows[(b * width) + j];
                    magnitude += Math.Abs(rows[(a * width) + j] * rows[(b * width) + j]);
                }

                var packed = (a * (a + 1) / 2) + b;
                Assert.True(Math.Abs(start[packed] + dot - g[packed]) <= 1e-14 * (magnitude + 1), $"({a}, {b}): {g[packed]} vs {start[packed] + dot}");
            }
        }

        // And: the same input gives the same bits again
        var again = (double[])start.Clone();
        GramKernel.AddProducts(rows, m, width, again);
        Assert.Equal(g, again);

        // And: tile ranges that cover the tiles, run in any order, give the whole call's bits (GramMatrix.Tall shares g so)
        var tiles = GramKernel.TileRows(m);
        var split = (double[])start.Clone();
        GramKernel.AddProducts(rows, m, width, split, tiles / 2, tiles);
        GramKernel.AddProducts(rows, m, width, split, 0, tiles / 2);
        Assert.Equal(g, split);
        Assert.Throws<ArgumentException>(() => GramKernel.AddProducts(rows, m, width, split, 0, tiles + 1));
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(6)]
    [InlineData(9)]
    public void SolveMany_IsBitIdenticalToSolvingEachColumnAlone(int n)
    {
        // Given: a positive definite system and right-hand sides at every tail length
        var random = new Random(n);
        var a = Enumerable.Range(0, n * n).Select(_ => random.NextDouble() - 0.5).ToArray();
        var system = new double[n * n];
        for (var i = 0; i < n; i++)
        {
            for (var j = 0; j < n; j++)
            {
                for (var k = 0; k < n; k++)
                {
                    system[(i * n) + j] += a[(i * n) + k] * a[(j * n) + k];
                }
            }

            system[(i * n) + i] += 0.1;
        }

        Assert.True(Cholesky.Factor(system, n));
        foreach (var width in Enumerable.Range(0, 20).Concat([257]))
        {
            var b = Enumerable.Range(0, n * width).Select(_ => (random.NextDouble() * 10) - 5).ToArray();

            // When
            var solved = (double[])b.Clone();
            var quadratic = new double[width];
            Cholesky.SolveMany(system, n, solved, width, quadratic);

            // Then: column by column, the scalar solve's every bit, and b . x (the quadratic form) to rounding
            for (var t = 0; t < width; t++)
            {
                var column = Enumerable.Range(0, n).Select(i => b[(i * width) + t]).ToArray();
                Cholesky.Solve(system, n, column);
                Assert.Equal(column, Enumerable.Range(0, n).Select(i => solved[(i * width) + t]).ToArray());
                var dot = Enumerable.Range(0, n).Sum(i => b[(i * width) + t] * column[i]);
                Assert.Equal(dot, quadratic[t], 1e-9 * Math.Max(1, Math.Abs(dot)));
            }
        }
    }
}
