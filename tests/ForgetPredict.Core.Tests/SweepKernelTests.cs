using System.Numerics.Tensors;
using ForgetPredict.Core.Numerics;

namespace ForgetPredict.Core.Tests;

/// <summary>
/// The kernels of the alternating-least-squares sweep (<see cref="ColumnAccumulation"/>, <see cref="Cholesky.SolveMany"/>)
/// against the row-by-row and column-by-column code they replace: every lane bit-identical, at every tail length (make test
/// reruns these at 256 and 128 bits).
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
    public void ColumnAccumulation_IsBitIdenticalToOnePassPerRowAndFactor(int width, int rows, int q)
    {
        // Given: a slab of float cells with a row stride wider than the slab, shifts, features and non-zero accumulators
        var random = new Random((width * 31) + (rows * 7) + q);
        var stride = width + 5;
        var z = Enumerable.Range(0, (rows * stride) + 3).Select(_ => (float)((random.NextDouble() * 4) - 1)).ToArray();
        var shifts = Enumerable.Range(0, rows).Select(_ => random.NextDouble() - 0.5).ToArray();
        var features = Enumerable.Range(0, rows * q).Select(_ => random.NextDouble() - 0.5).ToArray();
        var start = Enumerable.Range(0, q * width).Select(_ => random.NextDouble()).ToArray();
        var startSquares = Enumerable.Range(0, width).Select(_ => random.NextDouble()).ToArray();
        const double scale = 0.37;

        // When: the kernel, and the loops it replaced (one masked residual per row, one MultiplyAdd per factor)
        var acc = (double[])start.Clone();
        var squares = (double[])startSquares.Clone();
        ColumnAccumulation.Accumulate(z, stride, rows, scale, shifts, features, q, acc, squares);
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

    [Fact]
    public void ColumnAccumulation_RefusesSpansShorterThanTheShape()
    {
        var ex = Assert.Throws<ArgumentException>(() => ColumnAccumulation.Accumulate(new float[10], 8, 2, 1, new double[2], new double[2], 1, new double[8], new double[8]));
        Assert.Contains("too short", ex.Message, StringComparison.Ordinal);
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
            Cholesky.SolveMany(system, n, solved, width);

            // Then: column by column, the scalar solve's every bit
            for (var t = 0; t < width; t++)
            {
                var column = Enumerable.Range(0, n).Select(i => b[(i * width) + t]).ToArray();
                Cholesky.Solve(system, n, column);
                Assert.Equal(column, Enumerable.Range(0, n).Select(i => solved[(i * width) + t]).ToArray());
            }
        }
    }
}
